"""Black per top-level chunk, the content-addressed cache, and the remembered validation passes.

The chunked (and cached) output must be exactly black's output for the whole module: checked on
the modules rendered from ``specs/`` and from the golden fixture, and on hand-written sources at
the edges of black's blank-line rules. A warm run must equal a cold run byte for byte, and a
damaged or unwritable cache must change nothing but the time taken.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path

import black
import pytest
from wechatpay_codegen import _format
from wechatpay_codegen._cache import ENV_VAR, Cache
from wechatpay_codegen.build_ir import build_ir
from wechatpay_codegen.cli import main
from wechatpay_codegen.generate import DISTRIBUTION_VERSION, generate_files
from wechatpay_codegen.loader import SpecLoadError, load_specs
from wechatpay_codegen.render import STYLE, PackageInfo, python_sources
from wechatpay_codegen.validate import validate_specs

ROOT = Path(__file__).resolve().parents[2]
SPEC_FOLDERS = {
    "specs": (ROOT / "specs", "wechatpay_marketing"),
    "golden": (ROOT / "tests" / "golden" / "specs", "golden_client"),
}
BAD_SPECS = ROOT / "tests" / "fixtures" / "bad-specs"
MODE = STYLE.mode()


def _sources(which: str) -> dict[str, str]:
    folder, package = SPEC_FOLDERS[which]
    api = build_ir(load_specs([folder]))
    info = PackageInfo(package, package.replace("_", "-"), DISTRIBUTION_VERSION)
    return python_sources(api, info)


def _whole(sources: dict[str, str]) -> dict[str, str]:
    return {name: black.format_str(text, mode=MODE) for name, text in sources.items()}


class Counting:
    """The chunk formatter, counting what it is asked to format."""

    def __init__(self) -> None:
        self.chunks: list[str] = []

    def __call__(self, chunks: Sequence[str], style: _format.Style) -> list[tuple[bool, str]]:
        self.chunks.extend(chunks)
        return _format._format_all(chunks, style)


@pytest.fixture(params=sorted(SPEC_FOLDERS))
def rendered(request: pytest.FixtureRequest) -> Iterator[tuple[dict[str, str], dict[str, str]]]:
    sources = _sources(request.param)
    yield sources, _whole(sources)


def test_chunked_equals_whole_module_black(
    rendered: tuple[dict[str, str], dict[str, str]],
) -> None:
    sources, expected = rendered
    assert _format.format_modules(sources, STYLE, None) == expected
    # the test means something only if the big modules were really cut
    models = next(text for name, text in sources.items() if name.endswith("/models.py"))
    assert len(_format.split_top_level(models)) > 5


def test_warm_run_equals_cold_run_and_formats_nothing(
    rendered: tuple[dict[str, str], dict[str, str]], tmp_path: Path
) -> None:
    sources, expected = rendered
    cache = Cache(tmp_path / "cache")
    cold, warm = Counting(), Counting()
    assert _format.format_modules(sources, STYLE, cache, formatter=cold) == expected
    assert _format.format_modules(sources, STYLE, cache, formatter=warm) == expected
    assert cold.chunks and warm.chunks == []


def test_damaged_cache_entries_are_formatted_again(
    rendered: tuple[dict[str, str], dict[str, str]], tmp_path: Path
) -> None:
    sources, expected = rendered
    cache = Cache(tmp_path / "cache")
    _format.format_modules(sources, STYLE, cache)
    entries = sorted(p for p in (tmp_path / "cache").rglob("*") if p.is_file())
    assert entries
    for i, entry in enumerate(entries):
        data = entry.read_bytes()
        # truncated, a flipped body byte, an empty file, garbage: one of each in turn
        damaged = [data[: len(data) // 2], data[:-2] + b"X\n", b"", b"\x00\xff" * 9][i % 4]
        entry.write_bytes(damaged)
    again = Counting()
    assert _format.format_modules(sources, STYLE, cache, formatter=again) == expected
    distinct = {chunk for text in sources.values() for chunk in _format.split_top_level(text)}
    assert sorted(again.chunks) == sorted(distinct)


def test_unwritable_cache_is_ignored(tmp_path: Path) -> None:
    sources = _sources("golden")
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would be")
    cache = Cache(blocker / "cache")
    assert _format.format_modules(sources, STYLE, cache) == _whole(sources)
    assert blocker.read_text() == "a file where the cache folder would be"


def test_parallel_formatting_equals_serial() -> None:
    chunks = [c for text in _sources("specs").values() for c in _format.split_top_level(text)]
    serial = _format._black_batch(chunks, STYLE)
    assert _format._format_parallel(chunks, STYLE, 2) == serial
    assert all(ok for ok, _ in serial)


EDGE_CASES = {
    "module docstring then a decorated def": (
        '"""Doc."""\n\n@dec\ndef f():\n    pass\n\n\n@dec\nclass C:\n    x=1\n'
    ),
    "module docstring then a class": '"""Doc."""\nclass A: pass\n\n\nclass B: pass\n',
    "comment directly above a class": (
        "x = 1\n\n# about A\nclass A:\n    pass\n# about B\n\nclass B: pass\n"
    ),
    "comment after a blank line": "import os\n\n# note\n\nclass A:\n    pass\n\n\nclass B: pass\n",
    "stub defs kept tight": (
        "from typing import overload\n@overload\ndef f(x: int) -> int: ...\n"
        "@overload\ndef f(x: str) -> str: ...\ndef f(x): return x\n\ndef g(): ...\n"
    ),
    "class with only a docstring": (
        'class E(Exception):\n    """Doc."""\n\nclass F(E):\n    """Doc."""\nX = 1\n'
    ),
    "too many blank lines": "import os\n\n\n\n\ndef f():\n    return 1\n\n\n\n\nclass A: pass\n",
    "statements between definitions": "def f(): pass\n\nX = f()\n\ndef g(): pass\n\nY=[1,\n2]\n",
    "async defs and nested classes": (
        "async def f():\n    class In: pass\n    return In\n\nasync def g():\n    await f()\n"
    ),
    "fmt off region across definitions": (
        "# fmt: off\ndef f(): return [1,2 ,3]\n\nclass A:  pass\n# fmt: on\n\ndef g(): pass\n"
    ),
    "trailing commas and long lines": (
        "def f(a,b,):\n    return [aaaaaaaaaaaaaaaaaaaa, bbbbbbbbbbbbbbbbbbbbbbb, "
        "ccccccccccccccccccccccccc, dddddddddddddddddddddd, eeeeeeeeeeeeeeee]\n\n\n"
        "class A(B,):\n    x: int = 1\n"
    ),
    "first statement is a definition": "\n\ndef f(): pass\n\ndef g(): pass\n",
    "backslash continuation before a def": "x = 1 + \\\n    2\n\ndef f(): pass\n",
    "definition-like lines inside a string": (
        'X = """\n\nclass Fake:\n    pass\n\n@fake\n"""\n\n\ndef f(): pass\n'
    ),
    "a decorator-like line inside brackets": "x = (a\n\n@ b)\n\n\ndef f(): pass\n",
    "comment indented at the end of a class": (
        "class A:\n    x = 1\n    # end of A\n\nclass B: pass\n"
    ),
}


@pytest.mark.parametrize("name", sorted(EDGE_CASES))
def test_edge_cases_equal_whole_module_black(name: str) -> None:
    source = EDGE_CASES[name]
    assert "".join(_format.split_top_level(source)) == source
    expected = black.format_str(source, mode=MODE)
    assert _format.format_modules({"m.py": source}, STYLE, None) == {"m.py": expected}


def test_invalid_python_reports_black_on_the_whole_module() -> None:
    source = "def f():\n    pass\n\n\ndef g(:\n    pass\n"
    with pytest.raises(_format.FormatError) as caught:
        _format.format_modules({"m.py": source}, STYLE, None)
    with pytest.raises(Exception) as direct:
        black.format_str(source, mode=MODE)
    assert caught.value.detail == str(direct.value)


# -- the whole command ------------------------------------------------------------------------


def test_generate_cold_warm_and_no_cache_agree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder, package = SPEC_FOLDERS["golden"]
    cache_dir = tmp_path / "cache"
    monkeypatch.setenv(ENV_VAR, str(cache_dir))
    cold = generate_files(folder, package)
    assert any(cache_dir.rglob("*"))
    warm = generate_files(folder, package)
    uncached = generate_files(folder, package, use_cache=False)
    assert cold == warm == uncached


def test_cli_no_cache_writes_no_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache_dir = tmp_path / "cache"
    monkeypatch.setenv(ENV_VAR, str(cache_dir))
    out = tmp_path / "out"
    folder, _ = SPEC_FOLDERS["specs"]
    assert main(["generate", "--no-cache", "--specs", str(folder), "--out", str(out)]) == 0
    assert not cache_dir.exists()
    generated = ROOT / "generated"
    for module in (out / "wechatpay_marketing").glob("*.py"):
        assert module.read_bytes() == (generated / "wechatpay_marketing" / module.name).read_bytes()


def test_remembered_validation_passes_never_hide_problems(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "cache")
    good = tmp_path / "good"
    shutil.copytree(SPEC_FOLDERS["golden"][0], good)
    assert validate_specs(load_specs([good]), cache=cache) == []
    assert any((tmp_path / "cache" / "validate").rglob("*"))
    assert validate_specs(load_specs([good]), cache=cache) == []
    for case in sorted(p for p in BAD_SPECS.iterdir() if p.is_dir())[:25]:
        try:
            specs = load_specs([case])
        except SpecLoadError:  # cases the loader refuses never reach validation
            continue
        assert validate_specs(specs, cache=cache) == validate_specs(specs), case.name
