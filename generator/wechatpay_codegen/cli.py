"""Command line: ``wechatpay-codegen validate | generate | doc-check | diff | sandbox [notify]``.

Argument parsing only; each sub-command lives in its own module and returns an exit code. Bad input
(a broken spec, a missing file, an argument out of range, a bad ``[tool.wechatpay-codegen]`` table)
is reported in one line per problem (``file:line:col: message`` for specs), never as a traceback.
Every sub-command's ``--help`` shows its defaults and an example (see :func:`_command`).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import __version__
from ._cache import ENV_VAR, OFF_VAR
from .config import (
    DEFAULT_OUTPUT,
    DEFAULT_PACKAGE,
    DEFAULT_SPECS,
    DEFAULT_VERSION,
    TABLE,
    ConfigError,
    Settings,
    settings,
)

PROG = "wechatpay-codegen"
_UNSET = argparse.SUPPRESS  # absent from the namespace: the configuration decides


def _config_default(value: str) -> str:
    return f"(default: pyproject.toml's [tool.{TABLE}], else {value})"


class _Formatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Shows defaults after each option's help and keeps the examples' line breaks. An option
    whose help states its default itself, or that has none (``None``), gets no second one."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        if "(default:" in text or action.default is None:
            return text
        return super()._get_help_string(action)


def _command(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    summary: str,
    examples: Sequence[str],
    notes: str = "",
) -> argparse.ArgumentParser:
    """A sub-command whose --help shows defaults and ends with example command lines."""
    lines = ["examples:", *(f"  {PROG} {example}" for example in examples)]
    epilog = "\n".join([*lines, *(["", notes] if notes else [])])
    return sub.add_parser(
        name, help=summary, description=summary, epilog=epilog, formatter_class=_Formatter
    )


def _port(text: str) -> int:
    try:
        value = int(text, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a port number (0 to 65535)")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 1 <= value <= 366 * 86400:  # also refuses nan and inf
        raise argparse.ArgumentTypeError(f"{text} is not between 1 second and a year")
    return value


# How ``sandbox --verification`` makes the sandbox's merchant verify (the client's modes).
SANDBOX_VERIFICATION = ("public-key", "certificate", "migration")
# Who signs a ``sandbox notify`` callback (kept in step with wechatpay_codegen.sandbox.notify).
NOTIFY_SIGN_WITH = ("auto", "public-key", "certificate")

# What ``sandbox notify --fault`` accepts (kept here so ``--help`` needs no crypto imports; a test
# checks it against wechatpay_codegen.sandbox.notify.FAULTS).
NOTIFY_FAULTS = (
    "bad-signature",
    "signtest",
    "stale-timestamp",
    "tamper-body",
    "wrong-key",
    "wrong-serial",
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Generate a typed Python client for WeChat Pay APIv3 from OpenAPI specs.",
        epilog=f"Run `{PROG} <command> --help` for a command's options, defaults and examples.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="command")

    validate = _command(
        sub,
        "validate",
        "check spec files; print file:line:col problems",
        ["validate", "validate specs/modify_budget.yaml specs/common.yaml"],
    )
    validate.add_argument(
        "paths",
        nargs="*",
        type=Path,
        default=_UNSET,
        help=f"spec files or folders {_config_default(DEFAULT_SPECS)}",
    )

    generate = _command(
        sub,
        "generate",
        "render the client package from the specs",
        [
            "generate",
            "generate --check",
            "generate --specs specs --out generated --package acme_pay --distribution acme-pay",
        ],
        notes=(
            f"Settings come from [tool.{TABLE}] in ./pyproject.toml (keys: specs, output,\n"
            "distribution, package, version); a flag overrides its key.\n"
            f"Formatting cache: ${ENV_VAR}, else $XDG_CACHE_HOME/{PROG}, else ~/.cache/{PROG};\n"
            f"--no-cache or {OFF_VAR}=1 switches it off (the output is the same either way)."
        ),
    )
    generate.add_argument(
        "--specs", type=Path, default=_UNSET, help=f"spec folder {_config_default(DEFAULT_SPECS)}"
    )
    generate.add_argument(
        "--out", type=Path, default=_UNSET, help=f"output folder {_config_default(DEFAULT_OUTPUT)}"
    )
    generate.add_argument(
        "--package",
        "--package-name",
        dest="package",
        default=_UNSET,
        help=f"import name of the generated package {_config_default(DEFAULT_PACKAGE)}",
    )
    generate.add_argument(
        "--distribution",
        default=_UNSET,
        help="distribution name of the generated package "
        + _config_default("the import name with hyphens"),
    )
    generate.add_argument(
        "--package-version",
        dest="version",
        default=_UNSET,
        help=f"version of the generated distribution {_config_default(DEFAULT_VERSION)}",
    )
    generate.add_argument(
        "--check", action="store_true", help="do not write; exit 1 if the output folder is stale"
    )
    generate.add_argument(
        "--no-cache",
        action="store_true",
        help="format everything now instead of reusing earlier results",
    )

    doc_check = _command(
        sub,
        "doc-check",
        "compare saved doc pages with the specs; one line per difference",
        ["doc-check", "doc-check --docs specs/pages --specs specs"],
        notes=(
            "Each saved page (text form) is compared with the spec operation of the same method\n"
            "and path. Exit 0 when they agree, else 1 with one line per difference naming the\n"
            "page line and the spec's file:line:col."
        ),
    )
    doc_check.add_argument(
        "--docs", type=Path, default=Path("specs/pages"), help="folder of saved pages (*.txt)"
    )
    doc_check.add_argument("--specs", type=Path, default=Path("specs"), help="spec folder")

    diff = _command(
        sub,
        "diff",
        "what changed for users of the generated client, as changelog Markdown",
        ["diff old-specs/ specs/", "diff --against HEAD~1 --fail-on-breaking"],
        notes=(
            "Compares two spec folders (or a folder with itself at a git revision) and prints the\n"
            "changes users of the generated client see, classed breaking or compatible, with the\n"
            "next semantic version suggested."
        ),
    )
    diff.add_argument(
        "old",
        nargs="?",
        type=Path,
        help="the earlier spec folder (default: none; give it, or --against)",
    )
    diff.add_argument(
        "new",
        nargs="?",
        type=Path,
        help=f"the later spec folder {_config_default(DEFAULT_SPECS)}",
    )
    diff.add_argument(
        "--against",
        metavar="REV",
        help="compare NEW with itself at git revision REV (default: none)",
    )
    diff.add_argument(
        "--current-version",
        help=(
            "version the next one is suggested from (default: the version in the output folder's"
            " pyproject.toml, else [tool.wechatpay-codegen] version)"
        ),
    )
    diff.add_argument(
        "--fail-on-breaking", action="store_true", help="exit 1 when any change is breaking"
    )

    sandbox = _command(
        sub,
        "sandbox",
        "run a local WeChat-Pay-compatible server",
        [
            "sandbox",
            "sandbox --port 8080 --keys .sandbox",
            "sandbox --verification certificate --rotate-every 600",
        ],
        notes=(
            "--verification: public-key (a merchant with a WeChat Pay public key: GET\n"
            "/v3/certificates answers 404), certificate (platform certificates only: served\n"
            "at /v3/certificates, encrypted with the APIv3 key; the newest signs every\n"
            "merchant answer and callback) or migration (certificates served, answers still\n"
            "signed with the public key). Brand APIs have no platform certificates: brand\n"
            "answers are always signed with the public key. The printed client configuration\n"
            "matches the mode."
        ),
    )
    sandbox.add_argument(
        "--specs", type=Path, default=_UNSET, help=f"spec folder {_config_default(DEFAULT_SPECS)}"
    )
    sandbox.add_argument("--host", default="127.0.0.1", help="address to bind (loopback)")
    sandbox.add_argument("--port", type=_port, default=0, help="port (0: a free one)")
    sandbox.add_argument("--keys", type=Path, default=Path(".sandbox"), help="key folder")
    sandbox.add_argument(
        "--verification",
        choices=SANDBOX_VERIFICATION,
        default="public-key",
        help="how the merchant verifies answers: its WeChat Pay public key, platform "
        "certificates, or both (the migration period)",
    )
    sandbox.add_argument(
        "--rotate-every",
        type=_seconds,
        metavar="SECONDS",
        default=_UNSET,
        help="issue a new platform certificate this often (it signs from then on; the old ones "
        "stay listed); needs --verification certificate or migration (default: never)",
    )
    actions = sandbox.add_subparsers(dest="sandbox_command", metavar="{notify}")
    notify = actions.add_parser(
        "notify",
        help="POST a signed, encrypted callback built from a spec's webhook example to your URL",
        description="POST a signed, encrypted callback built from the spec's example to URL and "
        "report the answer (exit 0 when WeChat Pay would be satisfied).",
        epilog="examples:\n  wechatpay-codegen sandbox notify --url http://127.0.0.1:8000/notify "
        "--event COUPON.SEND\n  wechatpay-codegen sandbox notify --url "
        "http://127.0.0.1:8000/notify --event COUPON.SEND --sign-with certificate\n\n"
        "--sign-with auto signs as the sandbox on the same key folder signs its answers: with its\n"
        "newest platform certificate while it runs with --verification certificate, else with\n"
        "the WeChat Pay public key.",
        formatter_class=_Formatter,
    )
    notify.add_argument("--url", required=True, help="your callback endpoint (http or https)")
    notify.add_argument("--event", required=True, help="event type, e.g. COUPON.SEND")
    notify.add_argument(
        "--brand", action="store_true", help="encrypt with the brand API key (brand callbacks)"
    )
    notify.add_argument(
        "--fault",
        choices=sorted(NOTIFY_FAULTS),
        help="send a forged callback instead; exit 0 when the endpoint refuses it",
    )
    notify.add_argument(
        "--sign-with",
        choices=NOTIFY_SIGN_WITH,
        default="auto",
        help="who signs: as the sandbox does (auto), the WeChat Pay public key, or the sandbox's "
        "newest platform certificate (needs a sandbox started with --verification certificate "
        "or migration on the same --keys folder)",
    )
    notify.add_argument("--timeout", type=float, default=10.0, help="seconds to wait (10)")
    # also accepted after "notify"; SUPPRESS keeps the value given before it
    notify.add_argument("--specs", type=Path, default=argparse.SUPPRESS, help="spec folder")
    notify.add_argument("--keys", type=Path, default=argparse.SUPPRESS, help="key folder")
    return parser


def _settings(flags: dict[str, Any]) -> Settings | None:
    """The working folder's settings under ``flags``; None after printing why they are bad."""
    try:
        return settings(Path(), flags)
    except ConfigError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return None


def _generate(args: argparse.Namespace) -> int:
    from .generate import run_generate

    flags = {
        "specs": getattr(args, "specs", None),
        "output": getattr(args, "out", None),
        "distribution": getattr(args, "distribution", None),
        "package": getattr(args, "package", None),
        "version": getattr(args, "version", None),
    }
    chosen = _settings(flags)
    if chosen is None:
        return 1
    return run_generate(
        specs=chosen.specs,
        out=chosen.output,
        package_name=chosen.package,
        check=args.check,
        use_cache=not args.no_cache,
        distribution=chosen.distribution,
        version=chosen.version,
    )


def _run(args: argparse.Namespace) -> int:
    if args.command == "validate":
        from .validate import run_validate

        paths = getattr(args, "paths", None)
        if not paths:
            chosen = _settings({})
            if chosen is None:
                return 1
            paths = [chosen.specs]
        return run_validate(paths)
    if args.command == "generate":
        return _generate(args)
    if args.command == "doc-check":
        from .doccheck import run_doc_check

        return run_doc_check(docs=args.docs, specs=args.specs)
    if args.command == "diff":
        from .diff import current_version, run_diff

        old, new = args.old, args.new
        if args.against is not None:  # one folder: compared with itself at the revision
            if new is not None:
                print(
                    "wechatpay-codegen diff: give OLD NEW, or --against REV [NEW]", file=sys.stderr
                )
                return 2
            old, new = None, old
        elif old is None:
            print("wechatpay-codegen diff: give OLD NEW, or --against REV [NEW]", file=sys.stderr)
            return 2
        chosen = _settings({})
        if chosen is None:
            return 1
        version = args.current_version
        if version is None:
            version = current_version(chosen.output) or chosen.version
        return run_diff(
            old,
            new if new is not None else chosen.specs,
            against=args.against,
            version=version,
            fail_on_breaking=args.fail_on_breaking,
        )
    if args.command == "sandbox" and args.sandbox_command == "notify":
        from .sandbox.notify import run_notify

        chosen = _settings({"specs": getattr(args, "specs", None)})
        if chosen is None:
            return 1
        return run_notify(
            chosen.specs,
            args.url,
            args.event,
            args.keys,
            brand=args.brand,
            fault=args.fault,
            timeout=args.timeout,
            sign_with=args.sign_with,
        )
    if args.command == "sandbox":
        from .sandbox.cli import run_sandbox

        rotate_every = getattr(args, "rotate_every", None)
        if rotate_every is not None and args.verification == "public-key":
            print(
                f"{PROG} sandbox: --rotate-every rotates platform certificates: give "
                "--verification certificate (or migration) too",
                file=sys.stderr,
            )
            return 2
        chosen = _settings({"specs": getattr(args, "specs", None)})
        if chosen is None:
            return 1
        return run_sandbox(
            specs=chosen.specs,
            host=args.host,
            port=args.port,
            keys=args.keys,
            package=chosen.package,
            verification=args.verification,
            rotate_every=rotate_every,
        )
    raise AssertionError(args.command)  # argparse rejects unknown commands first


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _run(args)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
