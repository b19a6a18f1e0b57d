"""Black per top-level chunk, the content-addressed cache, and the remembered validation passes.

The chunked (and cached) output must be exactly black's output for the whole module: checked on
the modules rendered from ``specs/`` and from the golden fixture, on hand-written sources at
the edges of black's blank-line rules (top-level and between class members), and on generated
class bodies. A warm run must equal a cold run byte for byte, and a
damaged or unwritable cache must change nothing but the time taken.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path

import black
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
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
    # the test means something only if the big modules were really cut, classes included
    models = next(text for name, text in sources.items() if name.endswith("/models.py"))
    assert len(_format.split_top_level(models)) > 5
    client = next(text for name, text in sources.items() if name.endswith("/_client.py"))
    pieces = [len(members) for members in _format.split_module(client)]
    operations = client.count("    async def ") // 2  # the async client and its raw twin
    # Each client and each with_raw_response class: its header, with_raw_response (or
    # __init__), then one piece per operation.
    assert pieces.count(operations + 2) == 4


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
    distinct = {
        unit
        for text in sources.values()
        for pieces in _format.split_module(text)
        for unit in _format._units(pieces)
    }
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


#: Sources cut between class members: (source, pieces of each top-level chunk).
MEMBER_CASES: dict[str, tuple[str, list[int]]] = {
    "class docstring then methods and an async def": (
        'class A:\n    """Doc."""\n\n    def f(self):\n        return 1\n\n'
        "    async def g(self):\n        await x\n",
        [3],
    ),
    "class docstring directly followed by a method, no blank line": (
        'class A:\n    """Doc."""\n    def f(self): pass\n\n    def g(self): pass\n',
        [2],
    ),
    "decorator right after a class docstring": (
        'class A:\n    """Doc."""\n\n    @property\n    def p(self): return 1\n',
        [2],
    ),
    "decorated methods": (
        "@dataclass\nclass A:\n    x: int\n\n    @property\n    def p(self): return 1\n\n"
        "    @p.setter\n    def p(self, v): pass\n\n    @staticmethod\n    @functools.cache\n"
        "    def s(): ...\n",
        [4],
    ),
    "a decorator split over lines, a blank line before its def": (
        "class A:\n    x = 1\n\n    @decorator(\n        a,\n    )\n\n    def f(self): pass\n",
        [2],
    ),
    "comment before and after methods": (
        "class A:\n    x = 1\n\n    # about f\n    def f(self): pass\n    # after f\n\n"
        "    def g(self): pass\n\n    # lone comment\n\n    def h(self): pass\n\n"
        "    def i(self):\n        pass\n        # end of i\n\n    def j(self): pass\n",
        [2],
    ),
    "a comment after a decorator and at column 0 in a body": (
        "class A:\n    x = 1\n\n    @dec\n    # c\n    def f(self):\n        a = 1\n"
        "# column 0\n        return a\n\n    def g(self): pass\n",
        [3],
    ),
    "nested classes": (
        "class A:\n    class B:\n        def f(self): pass\n\n        def g(self): pass\n\n"
        '    class C(B):\n        """Doc."""\n\n    x = 1\n\n    def h(self): pass\n',
        [3],
    ),
    "stub methods and overloads": (
        "class P(Protocol):\n    def a(self) -> int: ...\n    def b(self) -> int: ...\n\n"
        "    def c(self) -> int: ...\n\n    @overload\n    def d(self, x: int) -> int: ...\n"
        "    @overload\n    def d(self, x: str) -> str: ...\n\n    def d(self, x): return x\n",
        [4],
    ),
    "a stub nested def kept tight against the next method": (
        "class A:\n    def f(self):\n        def inner(): ...\n    def g(self): pass\n\n"
        "    def h(self):\n        def inner(): ...\n\n    def i(self): pass\n",
        [3],
    ),
    "a conditional stub def before a method": (
        "class A:\n    if TYPE_CHECKING:\n        def f(self): ...\n\n    def g(self): pass\n",
        [2],
    ),
    "a method longer than the line width only when indented": (
        "class A:\n    x = 1\n\n"
        "    def long(self, aaaaaaaaaa, bbbbbbbbbbbbbb, cccccccccccccc, ddddddddddddd, eeee):\n"
        "        return {'k': [aaaaaaaaaa, bbbbbbbbbbbbbb, cccccccccccccc, ddddddddddddd, eee]}\n\n"
        '    def doc(self):\n        """A docstring whose line is just too long once it is '
        'indented by eight spaces, yes."""\n',
        [3],
    ),
    "too many blank lines and blank first lines": (
        "class A:\n\n    x = 1\n\n\n\n    def f(self):\n\n        return 1\n\n\n\n"
        "    def g(self): pass\n",
        [3],
    ),
    "attributes between methods": (
        "class A:\n    def f(self): pass\n\n    x = 1\n\n    def g(self): pass\n",
        [2],
    ),
    "a string in a method that looks like methods": (
        'class A:\n    def f(self):\n        return """\n\n    def fake(self):\n        pass\n'
        '\n    @fake\n"""\n\n    def g(self): pass\n',
        [2],
    ),
    "a backslash continuation before a method": (
        "class A:\n    x = 1 + \\\n        2\n\n    def f(self): pass\n",
        [2],
    ),
    "a leading comment, a class, a comment at the end": (
        "# header\nclass A:\n    x = 1\n\n    def f(self): pass\n# end of file\n",
        [2],
    ),
    "classes between other top-level statements": (
        "import os\n\n\nclass A:\n    x = 1\n\n    def f(self): pass\n\n\n"
        "class B(A):\n    def g(self): pass\n\n    def h(self): pass\n\n\nX = B()\n",
        [1, 2, 1],
    ),
    "class and a statement in one chunk: not cut": (
        "class A:\n    x = 1\n\n    def f(self): pass\nX = 1\n",
        [1],
    ),
    "fmt directives in a class: not cut": (
        "class A:\n    x = 1\n\n    # fmt: off\n    def f(self): return [1,2]\n    # fmt: on\n\n"
        "    def g(self):  pass\n",
        [1],
    ),
    "a bare ... before the first method: not cut (black alone would collapse it)": (
        "class A:\n    ...\n\n    def f(self):\n        pass\n",
        [1],
    ),
    "a Protocol with a bare ... then a property: not cut": (
        "class A(Protocol):\n    ...\n\n    @property\n    def f(self) -> int: ...\n",
        [1],
    ),
    "a bare ... after an attribute: cut": (
        "class A:\n    x: int\n    ...\n\n    def f(self):\n        pass\n",
        [2],
    ),
    "tab indentation: not cut": ("class A:\n\tx = 1\n\n\tdef f(self): pass\n", [1]),
    "a one-line class body: not cut": ("class A: x = 1\n\n\nclass B: pass\n", [1, 1]),
}


@pytest.mark.parametrize("name", sorted(MEMBER_CASES))
def test_member_cuts_equal_whole_module_black(name: str) -> None:
    source, pieces = MEMBER_CASES[name]
    split = _format.split_module(source)
    assert "".join(piece for chunk in split for piece in chunk) == source
    assert [len(chunk) for chunk in split] == pieces
    chunks = _format.split_top_level(source)
    assert [_format.split_members(chunk) for chunk in chunks] == split
    expected = black.format_str(source, mode=MODE)
    assert _format.format_modules({"m.py": source}, STYLE, None) == {"m.py": expected}


_NAMES = st.sampled_from(["f", "g", "__init__"])
_BODIES = st.sampled_from(
    [
        ": ...",
        ":\n        pass",
        ':\n        """Doc."""\n        return 1',
        ":\n        def inner(): ...",
        ":\n        if x:\n            return [aaaaaaaaaaaaaaa, bbbbbbbbbbbbbbbbbb, "
        "ccccccccccccccccccc, dddddddddddddddddd]",
        ":\n        x = 1\n        # trailing comment",
    ]
)
_DECORATORS = st.lists(st.sampled_from(["@overload", "@property", "@dec(1,2)"]), max_size=2)


@st.composite
def _methods(draw: st.DrawFn) -> str:
    decorators = "".join(f"    {d}\n" for d in draw(_DECORATORS))
    head = draw(st.sampled_from(["def", "async def"]))
    return f"{decorators}    {head} {draw(_NAMES)}(self){draw(_BODIES)}\n"


_MEMBERS = st.one_of(
    _methods(),
    st.sampled_from(
        [
            "    x = 1\n",
            "    y: int = 2\n",
            "    # a comment\n",
            "    class Inner:\n        z = 3\n",
            "    class Stub: ...\n",
            '    """A string."""\n',
        ]
    ),
)


@st.composite
def _class_modules(draw: st.DrawFn) -> str:
    parts = [draw(st.sampled_from(["", "import os\n\n\n", '"""Module."""\n']))]
    parts.append(draw(st.sampled_from(["class A:\n", "@dataclass\nclass A(B):\n"])))
    if draw(st.booleans()):
        parts.append('    """Doc."""\n')
    for member in draw(st.lists(_MEMBERS, min_size=1, max_size=6)):
        parts.append(member)
        parts.append("\n" * draw(st.integers(0, 3)))
    parts.append(draw(st.sampled_from(["", "\n\nX = 1\n", "# end\n", "\n\ndef g(): pass\n"])))
    return "".join(parts)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)
@given(_class_modules())
def test_generated_class_bodies_equal_whole_module_black(source: str) -> None:
    split = _format.split_module(source)
    assert "".join(piece for chunk in split for piece in chunk) == source
    try:
        expected = black.format_str(source, mode=MODE)
    except Exception:  # a class body made invalid by the draw (e.g. decorators on a class)
        with pytest.raises(_format.FormatError):
            _format.format_modules({"m.py": source}, STYLE, None)
        return
    assert _format.format_modules({"m.py": source}, STYLE, None) == {"m.py": expected}


def test_editing_one_summary_formats_one_method_per_client(tmp_path: Path) -> None:
    folder, package = SPEC_FOLDERS["specs"]
    info = PackageInfo(package, package.replace("_", "-"), DISTRIBUTION_VERSION)
    before = python_sources(build_ir(load_specs([folder])), info)
    cache = Cache(tmp_path / "cache")
    _format.format_modules(before, STYLE, cache)
    edited = tmp_path / "specs"
    shutil.copytree(folder, edited)
    spec = edited / "update_delivery_plan.yaml"
    text = spec.read_text(encoding="utf-8")
    assert "summary: 更新投放计划" in text
    spec.write_text(text.replace("summary: 更新投放计划", "summary: 更新投放计划（改）"), "utf-8")
    after = python_sources(build_ir(load_specs([edited])), info)
    counting = Counting()
    assert _format.format_modules(after, STYLE, cache, formatter=counting) == _whole(after)
    # the two client methods of the edited operation, nothing else of the clients
    client = [chunk for chunk in counting.chunks if "(改)" in chunk or "（改）" in chunk]
    assert len(client) == 2, [c[:80] for c in counting.chunks]
    for chunk in client:
        assert "def update_delivery_plan" in chunk
        assert chunk.count("def ") == 1
    lines = sum(chunk.count("\n") for chunk in counting.chunks)
    whole_client = next(t for n, t in after.items() if n.endswith("/_client.py")).count("\n")
    assert lines < whole_client / 2


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


def test_remembered_validation_passes_never_hide_problems(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # passes are remembered only where the compiled fast path is not taken
    from wechatpay_codegen import _fastschema

    monkeypatch.setenv("WECHATPAY_CODEGEN_NO_FAST_SCHEMA", "1")
    _fastschema._validators.cache_clear()
    monkeypatch.setattr(_fastschema, "_validators", _fastschema._validators.__wrapped__)
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


def test_a_style_without_target_versions_is_refused() -> None:
    # black would infer the target per piece, so pieces could be formatted for another Python.
    with pytest.raises(ValueError, match="target version"):
        _format.Style(line_length=100, target_versions=())
