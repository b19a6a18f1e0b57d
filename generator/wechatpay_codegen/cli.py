"""Command line: ``wechatpay-codegen validate | generate | doc-check | diff | sandbox [notify]``.

Argument parsing only; each sub-command lives in its own module and returns an exit code. Bad input
(a broken spec, a missing file) is reported as ``file:line:col: message`` lines, never as a
traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from . import __version__

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
        prog="wechatpay-codegen",
        description="Generate a typed Python client for WeChat Pay APIv3 from OpenAPI specs.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    validate = sub.add_parser("validate", help="check spec files; print file:line:col problems")
    validate.add_argument(
        "paths", nargs="*", type=Path, help="spec files or folders (default: specs)"
    )

    generate = sub.add_parser("generate", help="render the client package from the specs")
    generate.add_argument("--specs", type=Path, default=Path("specs"), help="spec folder")
    generate.add_argument("--out", type=Path, default=Path("generated"), help="output folder")
    generate.add_argument(
        "--package-name", default="wechatpay_marketing", help="import name of the generated package"
    )
    generate.add_argument(
        "--check", action="store_true", help="do not write; exit 1 if the output folder is stale"
    )
    generate.add_argument(
        "--no-cache",
        action="store_true",
        help="format everything now instead of reusing earlier results "
        "(cache: $WECHATPAY_CODEGEN_CACHE, else $XDG_CACHE_HOME/wechatpay-codegen, "
        "else ~/.cache/wechatpay-codegen)",
    )

    doc_check = sub.add_parser(
        "doc-check",
        help="compare saved doc pages with the specs; one line per difference",
        description="Compare each saved doc page (text form) with the spec operation of the same "
        "method and path. Exit 0 when they agree, else 1 with one line per difference naming the "
        "page line and the spec's file:line:col. Example: "
        "wechatpay-codegen doc-check --docs specs/pages --specs specs",
    )
    doc_check.add_argument(
        "--docs", type=Path, default=Path("specs/pages"), help="folder of saved pages (*.txt)"
    )
    doc_check.add_argument("--specs", type=Path, default=Path("specs"), help="spec folder")

    diff = sub.add_parser(
        "diff",
        help="what changed for users of the generated client, as changelog Markdown",
        description="Compare two spec folders (or a folder with itself at a git revision) and "
        "print the changes users of the generated client see, classed breaking or compatible, "
        "with the next semantic version suggested. Examples: wechatpay-codegen diff old/ specs/; "
        "wechatpay-codegen diff --against HEAD~1 --fail-on-breaking",
    )
    diff.add_argument("old", nargs="?", type=Path, help="the earlier spec folder")
    diff.add_argument(
        "new",
        nargs="?",
        type=Path,
        help="the later spec folder (default: specs)",
    )
    diff.add_argument(
        "--against", metavar="REV", help="compare NEW with itself at git revision REV"
    )
    diff.add_argument(
        "--current-version",
        help="version the next one is suggested from (default: generated/pyproject.toml's)",
    )
    diff.add_argument(
        "--fail-on-breaking", action="store_true", help="exit 1 when any change is breaking"
    )

    sandbox = sub.add_parser("sandbox", help="run a local WeChat-Pay-compatible server")
    sandbox.add_argument("--specs", type=Path, default=Path("specs"), help="spec folder")
    sandbox.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback)")
    sandbox.add_argument("--port", type=int, default=0, help="port (0: a free one)")
    sandbox.add_argument("--keys", type=Path, default=Path(".sandbox"), help="key folder")
    actions = sandbox.add_subparsers(dest="sandbox_command", metavar="{notify}")
    notify = actions.add_parser(
        "notify",
        help="POST a signed, encrypted callback built from a spec's webhook example to your URL",
        description="POST a signed, encrypted callback built from the spec's example to URL and "
        "report the answer (exit 0 when WeChat Pay would be satisfied).",
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
    notify.add_argument("--timeout", type=float, default=10.0, help="seconds to wait (10)")
    # also accepted after "notify"; SUPPRESS keeps the value given before it
    notify.add_argument("--specs", type=Path, default=argparse.SUPPRESS, help="spec folder")
    notify.add_argument("--keys", type=Path, default=argparse.SUPPRESS, help="key folder")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "validate":
        from .validate import run_validate

        return run_validate(args.paths or [Path("specs")])
    if args.command == "generate":
        from .generate import run_generate

        return run_generate(
            specs=args.specs,
            out=args.out,
            package_name=args.package_name,
            check=args.check,
            use_cache=not args.no_cache,
        )
    if args.command == "doc-check":
        from .doccheck import run_doc_check

        return run_doc_check(docs=args.docs, specs=args.specs)
    if args.command == "diff":
        from .diff import run_diff

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
        new = new if new is not None else Path("specs")
        return run_diff(
            old,
            new,
            against=args.against,
            version=args.current_version,
            fail_on_breaking=args.fail_on_breaking,
        )
    if args.command == "sandbox" and args.sandbox_command == "notify":
        from .sandbox.notify import run_notify

        return run_notify(
            args.specs,
            args.url,
            args.event,
            args.keys,
            brand=args.brand,
            fault=args.fault,
            timeout=args.timeout,
        )
    if args.command == "sandbox":
        from .sandbox.cli import run_sandbox

        return run_sandbox(specs=args.specs, host=args.host, port=args.port, keys=args.keys)
    raise AssertionError(args.command)  # argparse rejects unknown commands first


if __name__ == "__main__":
    sys.exit(main())
