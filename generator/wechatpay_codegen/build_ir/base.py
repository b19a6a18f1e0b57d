"""The IR builder's ground floor: its state, the problems it collects, and Python-name claims.

Every layer of the builder (:mod:`.schemas`, :mod:`.operations`, then the package's ``_Builder``)
reports through :meth:`BuilderBase.problem` and claims names through :meth:`BuilderBase.claim`, so a
clash between two spec names names both places.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .. import ir
from ..loader import Problem, SpecSet
from ..naming import Namespace, NamingError
from ..schema_names import scoped_names
from ..spec_model import Node, SpecModel

Pointer = tuple[str | int, ...]


@dataclass(frozen=True)
class Claim:
    """Who holds a Python name: the spec name and where it is written."""

    spec_name: str
    location: Any  # loader.Location

    def __str__(self) -> str:
        return f"{self.spec_name!r} ({self.location})"


class BuilderBase:
    """What every layer shares: the spec model, the problems found, the names claimed."""

    def __init__(self, specs: SpecSet) -> None:
        self.specs = specs
        self.model: SpecModel = specs.model()
        # components/schemas entry -> its spec name, scoped to its file (see schema_names)
        self.scoped = scoped_names(self.model)
        self.problems: list[Problem] = []
        self.naming: list[Problem] = []  # the part of ``problems`` about Python names
        # the part of ``problems`` no rule of validate covers (see ``refuse``)
        self.refusals: list[Problem] = []
        self.classes: Namespace[Claim] = Namespace()
        self.validators: Namespace[Claim] = Namespace()
        self.methods: Namespace[Claim] = Namespace()
        self.models: dict[str, ir.Model] = {}
        self.enums: dict[str, ir.EnumDef] = {}
        # Named schema (document, pointer) -> its TypeRef, set before its fields are built so
        # recursive schemas terminate.
        self.named: dict[tuple[str, Pointer], ir.TypeRef] = {}
        # (class, attribute) -> where the property is written, to report clashes with class names
        self.attributes: dict[tuple[str, str], Node] = {}
        # (operationId, argument) -> where a path parameter is declared, for the same check
        self.arguments: dict[tuple[str, str], Node] = {}

    # -- problems ------------------------------------------------------------------------------

    def problem(self, node: Node, message: str) -> None:
        self.problems.append(node.problem(message))

    def naming_problem(self, node: Node, message: str) -> None:
        """A problem only the generator can see (Python names): never a consequence of another."""
        found = node.problem(message)
        self.problems.append(found)
        self.naming.append(found)

    def refuse(self, node: Node, what: str, fix: str) -> None:
        """Something the generator does not support and no rule of ``validate`` covers: what it
        is, and what to write instead (:meth:`Node.refusal`). It is reported in the same run as
        validate's problems (``checks/generator.py``)."""
        self.refused([node.refusal(what, fix)])

    def refused(self, found: Iterable[Problem]) -> None:
        """Refusals found by a reader of the page shapes (:mod:`..shapes`): see ``refuse``."""
        for problem in found:
            self.problems.append(problem)
            self.refusals.append(problem)

    def text(self, node: Node, key: str) -> str:
        value = node.child(key)
        if value.raw is None:
            return ""
        if not isinstance(value.raw, str):
            self.problem(value, f"'{key}' must be a string")
            return ""
        return value.raw

    def name_or_problem(self, node: Node, make: Any, *args: Any) -> str | None:
        try:
            name: str = make(*args)
        except NamingError as exc:
            self.naming_problem(node, str(exc))
            return None
        return name

    def claim(self, space: Namespace[Claim], name: str, node: Node, spec_name: str) -> bool:
        collision = space.claim(name, Claim(spec_name, node.location))
        if collision is None:
            return True
        # the same spec name twice (a duplicate operationId, enum value) is validate's to report
        report = self.problem if collision.first.spec_name == spec_name else self.naming_problem
        report(
            node,
            f"{spec_name!r} and {collision.first} both become the Python name "
            f"{name!r}; rename one of them",
        )
        return False

    # -- $ref ----------------------------------------------------------------------------------

    def deref(self, node: Node) -> Node | None:
        target, problems = self.model.deref(node)
        self.problems.extend(problems)
        return target
