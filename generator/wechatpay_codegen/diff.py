"""``wechatpay-codegen diff OLD NEW``: what changed for users of the generated client.

Two spec folders (or a git revision of one, ``--against REV``) are read as operations and fields
(``doccheck.spec_view``); operations are paired by ``operationId`` (the method users call), fields
by wire name. Each change is classed:

- breaking: an operation removed; its method, path or auth scheme changed; a request field
  (argument) removed, newly required, or of another type; a request constraint narrowed (shorter
  maxLength, higher minimum, a bound where there was none, ...); a request enum value removed; a
  response field removed, newly optional or of another type; a response body or success status
  changed;
- callbacks (``webhooks``, by event type): a callback no longer described, or a field of its
  decrypted resource removed, newly optional or of another type, breaks; a new one does not;
- compatible: everything else users can see (operations, optional arguments and response fields
  added, constraints widened, enum values added, error codes added or removed, ...).

The report is Markdown for a changelog, with the next semantic version of the generated package
suggested from the current one (major for a breaking change, minor for an addition, patch
otherwise; below 1.0.0 a breaking change bumps the minor version).
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ._report import ASK_WITH_SPECS, internal_error
from .doccheck.spec_view import SpecField, SpecOperation, SpecView, SpecWebhook, read_specs
from .loader import SpecLoadError, load_specs

__all__ = [
    "Change",
    "SpecDiff",
    "diff_specs",
    "diff_views",
    "diff_webhooks",
    "next_version",
    "run_diff",
]

BREAKING = "breaking"
_PROJECT_VERSION = re.compile(
    r'^\[project\][^\[]*?^version\s*=\s*"([^"]+)"', re.MULTILINE | re.DOTALL
)
COMPATIBLE = "compatible"


@dataclass(frozen=True, order=True)
class Change:
    operation: str
    text: str
    kind: str  # breaking / compatible
    addition: bool = False  # something new users may use (a minor bump when not breaking)

    @property
    def breaking(self) -> bool:
        return self.kind == BREAKING


@dataclass
class SpecDiff:
    changes: list[Change]

    @property
    def breaking(self) -> list[Change]:
        return [c for c in self.changes if c.breaking]

    @property
    def compatible(self) -> list[Change]:
        return [c for c in self.changes if not c.breaking]

    def bump(self) -> str:
        if self.breaking:
            return "major"
        if any(c.addition for c in self.changes):
            return "minor"
        return "patch" if self.changes else "none"

    def markdown(self, version: str | None) -> str:
        lines = ["## Changes to the generated client", ""]
        if not self.changes:
            lines.append("No changes for users of the generated client.")
        if version is not None:
            following = next_version(version, self.bump())
            why = {"major": "breaking changes", "minor": "additions", "patch": "compatible changes"}
            if following != version:
                lines += [
                    f"Suggested version: {following} (from {version}; {why[self.bump()]})",
                    "",
                ]
        elif self.changes:
            lines += [f"Suggested version bump: {self.bump()}", ""]
        for title, group in (("Breaking", self.breaking), ("Compatible", self.compatible)):
            if group:
                lines += [f"### {title}", ""]
                lines += [f"- `{c.operation}`: {c.text}" for c in sorted(group)]
                lines.append("")
        return "\n".join(lines).rstrip() + "\n"


def next_version(version: str, bump: str) -> str:
    """``1.4.2`` + ``major`` → ``2.0.0``; below 1.0.0 a major bump moves the minor number."""
    parts = version.split(".")
    try:
        major, minor, patch = (int(p) for p in [*parts, "0", "0"][:3])
    except ValueError:
        return version
    if bump == "major" and major == 0:
        bump = "minor"
    elif bump == "minor" and major == 0:
        bump = "patch"
    if bump == "major":
        return f"{major + 1}.0.0"
    if bump == "minor":
        return f"{major}.{minor + 1}.0"
    if bump == "patch":
        return f"{major}.{minor}.{patch + 1}"
    return version


# ----------------------------------------------------------------------------------- compare


def diff_views(old: SpecView, new: SpecView) -> SpecDiff:
    """Operations, then the callbacks (``webhooks``) the client parses into models."""
    result = diff_specs(old.operations, new.operations)
    result.changes.extend(diff_webhooks(old.webhooks, new.webhooks))
    return result


def diff_webhooks(old: list[SpecWebhook], new: list[SpecWebhook]) -> list[Change]:
    changes: list[Change] = []
    before = {w.event: w for w in old}
    after = {w.event: w for w in new}
    for event in sorted(set(before) - set(after)):
        text = "callback no longer described (parse_notification gives its resource as a dict)"
        changes.append(Change(event, text, BREAKING))
    for event in sorted(set(after) - set(before)):
        changes.append(Change(event, "new callback model", COMPATIBLE, True))
    for event in sorted(set(before) & set(after)):
        walker = _Operation(event, None, None)
        walker.response(
            "resource field ", before[event].resource or {}, after[event].resource or {}
        )
        changes.extend(walker.out)
    return changes


def diff_specs(old: list[SpecOperation], new: list[SpecOperation]) -> SpecDiff:
    changes: list[Change] = []
    before = {op.operation_id: op for op in old}
    after = {op.operation_id: op for op in new}
    for name in sorted(set(before) - set(after)):
        op = before[name]
        changes.append(Change(name, f"operation removed ({op.method} {op.path})", BREAKING))
    for name in sorted(set(after) - set(before)):
        op = after[name]
        changes.append(Change(name, f"new operation ({op.method} {op.path})", COMPATIBLE, True))
    for name in sorted(set(before) & set(after)):
        changes.extend(_Operation(name, before[name], after[name]).changes())
    return SpecDiff(changes)


class _Operation:
    def __init__(self, name: str, old: SpecOperation | None, new: SpecOperation | None) -> None:
        self.name = name  # an operationId, or a callback's event type (fields only)
        self.old = old
        self.new = new
        self.out: list[Change] = []

    def add(self, text: str, kind: str, addition: bool = False) -> None:
        self.out.append(Change(self.name, text, kind, addition))

    def changes(self) -> list[Change]:
        old, new = self.old, self.new
        assert old is not None and new is not None
        if (old.method, old.path) != (new.method, new.path):
            self.add(f"endpoint {old.method} {old.path} → {new.method} {new.path}", BREAKING)
        if old.auth != new.auth:
            self.add(f"auth scheme {old.auth} → {new.auth}", BREAKING)
        for where in sorted(set(old.params) | set(new.params)):
            self.request(
                f"{where} parameter ",
                _arguments(old.params.get(where, {})),
                _arguments(new.params.get(where, {})),
            )
        self.request("request field ", old.body or {}, new.body or {})
        if old.response_status != new.response_status:
            self.add(f"success status {old.response_status} → {new.response_status}", BREAKING)
        if (old.response is None) != (new.response is None):
            if new.response is None:
                self.add("response body removed (the method returns None)", BREAKING)
            else:
                self.add("response body added", COMPATIBLE, True)
        else:
            self.response("response field ", old.response or {}, new.response or {})
        self.error_codes()
        return self.out

    # ---------------------------------------------------------------------- request side
    def request(
        self, label: str, old: dict[str, SpecField], new: dict[str, SpecField], prefix: str = ""
    ) -> None:
        for name in sorted(set(old) - set(new)):
            self.add(f"{label}`{prefix}{name}` removed", BREAKING)
        for name in sorted(set(new) - set(old)):
            if new[name].required:
                self.add(f"new required {label}`{prefix}{name}`", BREAKING)
            else:
                self.add(f"new optional {label}`{prefix}{name}`", COMPATIBLE, True)
        for name in sorted(set(old) & set(new)):
            self.request_field(label, f"{prefix}{name}", old[name], new[name])

    def request_field(self, label: str, path: str, old: SpecField, new: SpecField) -> None:
        what = f"{label}`{path}`"
        if old.required != new.required:
            if new.required:
                self.add(f"{what} is now required", BREAKING)
            else:
                self.add(f"{what} is now optional", COMPATIBLE)
        if _type(old) != _type(new):
            self.add(f"{what} type {_type(old)} → {_type(new)}", BREAKING)
            return
        self.constraints(what, old, new)
        if old.enum is not None and new.enum is not None:
            for value in old.enum:
                if value not in new.enum:
                    self.add(f"{what}: value `{value}` removed", BREAKING)
            for value in new.enum:
                if value not in old.enum:
                    self.add(f"{what}: new value `{value}`", COMPATIBLE, True)
        elif new.enum is not None:
            self.add(f"{what}: now limited to {', '.join(new.enum)}", BREAKING)
        elif old.enum is not None:
            self.add(f"{what}: no longer limited to listed values", COMPATIBLE)
        if old.children is not None or new.children is not None:
            self.request(label, old.children or {}, new.children or {}, f"{path}.")

    def constraints(self, what: str, old: SpecField, new: SpecField) -> None:
        """A request bound narrowed breaks callers that passed what is now refused."""
        for key, attr, upper in (
            ("maxLength", "max_length", True),
            ("minLength", "min_length", False),
            ("maximum", "maximum", True),
            ("minimum", "minimum", False),
            ("maxItems", "max_items", True),
            ("minItems", "min_items", False),
        ):
            before, after = getattr(old, attr), getattr(new, attr)
            if before == after:
                continue
            if before is None:
                narrowed = True
            elif after is None:
                narrowed = False
            else:
                narrowed = after < before if upper else after > before
            self.add(
                f"{what} {key} {_show(before)} → {_show(after)} "
                f"({'narrowed' if narrowed else 'widened'})",
                BREAKING if narrowed else COMPATIBLE,
            )
        if old.pattern != new.pattern:  # which strings a changed pattern admits is not compared
            if new.pattern is None:
                self.add(f"{what} pattern removed", COMPATIBLE)
            else:
                self.add(f"{what} pattern {_show(old.pattern)} → {new.pattern}", BREAKING)

    # --------------------------------------------------------------------- response side
    def response(
        self, label: str, old: dict[str, SpecField], new: dict[str, SpecField], prefix: str = ""
    ) -> None:
        for name in sorted(set(old) - set(new)):
            self.add(f"{label}`{prefix}{name}` removed", BREAKING)
        for name in sorted(set(new) - set(old)):
            self.add(f"new {label}`{prefix}{name}`", COMPATIBLE, True)
        for name in sorted(set(old) & set(new)):
            before, after = old[name], new[name]
            what = f"{label}`{prefix}{name}`"
            if before.required and not after.required:
                self.add(f"{what} is now optional (may be None)", BREAKING)
            elif after.required and not before.required:
                self.add(f"{what} is now always present", COMPATIBLE)
            if _type(before) != _type(after):
                self.add(f"{what} type {_type(before)} → {_type(after)}", BREAKING)
                continue
            if before.enum is not None and after.enum is not None:
                for value in after.enum:
                    if value not in before.enum:
                        self.add(f"{what}: new value `{value}`", COMPATIBLE, True)
                for value in before.enum:
                    if value not in after.enum:
                        self.add(f"{what}: value `{value}` no longer sent", COMPATIBLE)
            if before.children is not None or after.children is not None:
                self.response(
                    label, before.children or {}, after.children or {}, f"{prefix}{name}."
                )

    def error_codes(self) -> None:
        assert self.old is not None and self.new is not None
        old = {(e.status, e.code) for e in self.old.error_codes}
        new = {(e.status, e.code) for e in self.new.error_codes}
        for status, code in sorted(new - old):
            self.add(f"new documented error {status} {code}", COMPATIBLE)
        for status, code in sorted(old - new):
            self.add(f"error {status} {code} no longer documented", COMPATIBLE)


def _arguments(params: dict[str, SpecField]) -> dict[str, SpecField]:
    return {k: v for k, v in params.items() if not v.runtime}


def _type(field: SpecField) -> str:
    return field.type_text + (f" ({field.format})" if field.format else "")


def _show(value: object) -> str:
    return "none" if value is None else str(value)


# --------------------------------------------------------------------------------- sources


class DiffInputError(Exception):
    """A folder or revision that cannot be read; the message says which and why."""


def _view(folder: Path) -> SpecView:
    return read_specs(load_specs([folder]))


def _git(*args: str) -> bytes:
    # fixed program, arguments as a list (no shell); a revision cannot start with "-" (below)
    return subprocess.run(["git", *args], capture_output=True, check=True).stdout  # noqa: S603,S607


def _checkout(rev: str, folder: Path, into: Path) -> Path:
    """``folder`` as it was at git revision ``rev``, extracted under ``into``."""
    if not rev or rev.startswith("-"):
        raise DiffInputError(f"{rev!r} is not a git revision")
    folder = folder.resolve()
    try:
        top = _git("-C", str(folder), "rev-parse", "--show-toplevel").decode().strip()
        relative = folder.relative_to(Path(top).resolve()).as_posix()
        archive = _git("-C", top, "archive", "--format=tar", rev, "--", relative)
    except FileNotFoundError:
        raise DiffInputError("git is not installed; give two spec folders instead") from None
    except subprocess.CalledProcessError as exc:
        detail = exc.stderr.decode("utf-8", "replace") if isinstance(exc.stderr, bytes) else ""
        reason = " ".join(detail.split())[:200] or "git failed"
        raise DiffInputError(f"{folder}: cannot read it at revision {rev!r} ({reason})") from None
    except ValueError:
        raise DiffInputError(f"{folder}: not inside a git repository") from None
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        for member in tar.getmembers():  # git's own archive, but never write outside ``into``
            if not member.isdir() and not member.isfile():
                continue
            target = (into / member.name).resolve()
            if not target.is_relative_to(into.resolve()):
                raise DiffInputError(f"revision {rev!r}: unexpected path {member.name!r}")
            if member.isdir():
                target.mkdir(parents=True, exist_ok=True)
            else:
                source = tar.extractfile(member)
                assert source is not None
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(source.read())
    return into / relative


def current_version(output: Path) -> str | None:
    """The version in ``<output>/pyproject.toml`` (the generated package), if there is one."""
    try:
        text = (output / "pyproject.toml").read_text("utf-8")
    except (OSError, ValueError):
        return None
    found = _PROJECT_VERSION.search(text)
    return found.group(1) if found else None


def run_diff(
    old: Path | None,
    new: Path,
    *,
    against: str | None = None,
    version: str | None = None,
    fail_on_breaking: bool = False,
) -> int:
    """Print the Markdown report; exit 1 on a breaking change with ``fail_on_breaking``, 2 when
    the specs cannot be read."""
    try:
        with tempfile.TemporaryDirectory(prefix="wechatpay-codegen-diff-") as scratch:
            if against is not None:
                old = _checkout(against, new, Path(scratch))
            assert old is not None
            result = diff_views(_view(old), _view(new))
    except DiffInputError as exc:
        print(f"wechatpay-codegen diff: {exc}", file=sys.stderr)
        return 2
    except SpecLoadError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 2
    except Exception as exc:  # a bug of ours must not show the user a traceback
        print(internal_error("wechatpay-codegen diff", exc, ASK_WITH_SPECS), file=sys.stderr)
        return 2
    sys.stdout.write(result.markdown(version))
    return 1 if fail_on_breaking and result.breaking else 0
