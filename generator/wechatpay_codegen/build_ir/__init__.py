"""Loaded specs -> the API model (:mod:`..ir`).

This is where OpenAPI is understood and where every Python name is chosen (through :mod:`..naming`).
Problems (an unsupported construct, a name that cannot be made into an identifier, two spec names
that would become one Python name) are collected with their spec locations and raised together as
one :class:`~..loader.SpecLoadError`, so ``wechatpay-codegen validate`` can report them all.

Only what the operations and webhooks reach is modelled: a schema neither uses produces no class.

The builder is built in layers, one job each: :mod:`.base` (state, problems, name claims),
:mod:`.schemas` (schemas -> types, models, enums), :mod:`.operations` (operations); this module adds
the callbacks (webhooks) and puts the API together.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from .. import ir
from ..loader import Problem, SpecLoadError, SpecSet
from ..naming import NamingError, class_name
from ..spec_model import Node
from ..webhooks import EVENT_TYPE, RESOURCE_EXTENSION
from .operations import OperationBuilder

__all__ = ["BuildError", "build_ir"]


class _Builder(OperationBuilder):
    """The whole API: operations, webhooks, and the checks that need all of them."""

    def attributes_named_like_classes(self) -> None:
        """An attribute named like a class would shadow that class in the model's annotations."""
        for (model, attr), node in sorted(self.attributes.items(), key=lambda kv: kv[0]):
            if attr in self.classes.claims and model in self.models:
                self.naming_problem(
                    node,
                    f"attribute {attr!r} of {model} has the name of the class {attr!r} "
                    f"({self.classes.claims[attr]}); rename the property or the schema",
                )
        # A client method's argument would shadow the class it returns or takes.
        for (operation_id, arg), node in sorted(self.arguments.items(), key=lambda kv: kv[0]):
            if arg in self.classes.claims:
                self.naming_problem(
                    node,
                    f"path parameter {arg!r} of {operation_id} has the name of the class "
                    f"{arg!r} ({self.classes.claims[arg]}); rename the parameter or the schema",
                )

    def reachable(self, roots: Iterable[str]) -> set[str]:
        """Names of the models reachable from ``roots`` through fields."""
        seen: set[str] = set()
        todo = list(roots)
        while todo:
            name = todo.pop()
            if name in seen or name not in self.models:
                continue
            seen.add(name)
            for field in self.models[name].fields:
                todo.extend(field.type.referenced())
        return seen

    # -- webhooks (callbacks) ------------------------------------------------------------------

    def build_webhook(self, event: str, op: Node) -> ir.Webhook | None:
        """The decrypted resource of one callback event becomes a model (see :mod:`.webhooks`)."""
        resource = op.child(RESOURCE_EXTENSION)
        schema = resource.child("schema")
        if schema.raw is None:
            return None  # validate reports it
        try:
            hint = class_name(event.replace(".", "_").lower()) + "Resource"
        except NamingError:
            hint = "NotificationResource"
        resource_type = self.type_of(schema, hint)
        if resource_type.kind != "model" or resource_type.name is None:
            self.refuse(
                schema,
                "the decrypted resource schema must be an object with properties",
                "give it type: object and its properties (or $ref a components/schemas object)",
            )
            return None
        return ir.Webhook(
            event_type=event,
            resource_model=resource_type.name,
            summary=self.text(op, "summary"),
            description=self.text(op, "description"),
            resource_example=resource.child("example").raw,
        )

    def webhooks(self) -> list[ir.Webhook]:
        found: list[ir.Webhook] = []
        for hooks in self.model.webhooks():
            for event, item in hooks.items():
                op = item.child("post")
                if EVENT_TYPE.fullmatch(event) and op.is_mapping and not item.has("$ref"):
                    webhook = self.build_webhook(event, op)
                    if webhook is not None:
                        found.append(webhook)
        return sorted(found, key=lambda w: w.event_type)

    # -- everything ----------------------------------------------------------------------------

    def build(self) -> ir.API:
        operations = [
            op for op in map(self.build_operation, self.model.operations) if op is not None
        ]
        webhooks = self.webhooks()
        self.attributes_named_like_classes()
        in_request = self.reachable(op.body_model for op in operations if op.body_model)
        return ir.API(
            operations=tuple(sorted(operations, key=lambda o: o.name)),
            models=tuple(
                replace(self.models[name], in_request=name in in_request)
                for name in sorted(self.models)
            ),
            enums=tuple(self.enums[name] for name in sorted(self.enums)),
            webhooks=tuple(webhooks),
        )


class BuildError(SpecLoadError):
    """The specs cannot be generated; ``naming`` is the part of ``problems`` about Python names
    (two spec names one Python name, ...), which no other check reports; ``refusals`` the part
    about constructs the generator does not support that no rule of ``validate`` covers."""

    def __init__(
        self,
        problems: Iterable[Problem],
        naming: Iterable[Problem],
        refusals: Iterable[Problem] = (),
    ) -> None:
        super().__init__(problems)  # sorted and deduplicated there
        self.naming: list[Problem] = sorted(set(naming))
        self.refusals: list[Problem] = sorted(set(refusals))


def build_ir(specs: SpecSet) -> ir.API:
    """The API model of ``specs``; raises :class:`SpecLoadError` listing every problem found."""
    builder = _Builder(specs)
    api = builder.build()
    if builder.problems:
        raise BuildError(builder.problems, builder.naming, builder.refusals)

    return api
