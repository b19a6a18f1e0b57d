"""``[tool.wechatpay-codegen]``: keys, defaults, flags over the table, and clear errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from wechatpay_codegen import cli
from wechatpay_codegen.config import ConfigError, Settings, settings
from wechatpay_codegen.writer import read_tree

ROOT = Path(__file__).resolve().parents[2]
SPECS = ROOT / "tests" / "golden" / "specs"
NO_FLAGS: dict[str, str | None] = {}


def _project(folder: Path, table: str) -> Path:
    (folder / "pyproject.toml").write_text(
        f'[project]\nname = "x"\n\n[tool.wechatpay-codegen]\n{table}', encoding="utf-8"
    )
    return folder


def test_defaults_are_todays(tmp_path: Path) -> None:
    assert settings(tmp_path, NO_FLAGS) == Settings(
        specs=tmp_path / "specs",
        output=tmp_path / "generated",
        distribution="wechatpay-marketing",
        package="wechatpay_marketing",
        version="0.1.0",
    )
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n', encoding="utf-8")
    assert settings(tmp_path, NO_FLAGS).package == "wechatpay_marketing"


def test_every_key_is_read_and_folders_are_relative_to_the_project(tmp_path: Path) -> None:
    _project(
        tmp_path,
        'specs = "api/specs"\noutput = "/abs/out"\ndistribution = "acme-pay"\n'
        'package = "acme"\nversion = "2.0.0rc1"\n',
    )
    assert settings(tmp_path, NO_FLAGS) == Settings(
        specs=tmp_path / "api" / "specs",
        output=Path("/abs/out"),
        distribution="acme-pay",
        package="acme",
        version="2.0.0rc1",
    )


def test_flags_override_the_table(tmp_path: Path) -> None:
    _project(tmp_path, 'package = "acme"\nversion = "2.0.0"\nspecs = "a"\n')
    chosen = settings(tmp_path, {"package": "other_pay", "specs": "b", "version": None})
    assert chosen.package == "other_pay" and chosen.distribution == "other-pay"
    assert chosen.specs == Path("b") and chosen.version == "2.0.0"


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('packages = "acme"\n', "[tool.wechatpay-codegen] packages: unknown key"),
        ("version = 2\n", "[tool.wechatpay-codegen] version: must be a string, not int"),
        ('package = "acme-pay"\n', "[tool.wechatpay-codegen] package: 'acme-pay' is not a Python"),
        ('package = "import"\n', "package: 'import' is not a usable import name"),
        ('distribution = "acme pay"\n', "distribution: 'acme pay' is not a distribution name"),
        ('version = "latest"\n', "version: 'latest' is not a release version"),
        ('package = "_"\n', "package (as the distribution name): '' is not a distribution"),
        ('specs = ""\n', "specs: '' is not a folder name"),
        ('package = "acme\n', "pyproject.toml:5:"),  # TOML syntax: line and column
    ],
)
def test_bad_tables_are_clear_errors(tmp_path: Path, table: str, message: str) -> None:
    _project(tmp_path, table)
    with pytest.raises(ConfigError) as caught:
        settings(tmp_path, NO_FLAGS)
    assert message in str(caught.value)
    assert str(tmp_path / "pyproject.toml") in str(caught.value)


def test_a_table_that_is_not_a_table_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("tool = { wechatpay-codegen = 3 }\n")
    with pytest.raises(ConfigError, match=r"tool\.wechatpay-codegen must be a table"):
        settings(tmp_path, NO_FLAGS)


def test_generate_reads_the_table_of_the_folder_it_runs_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(SPECS, tmp_path / "api")
    _project(tmp_path, 'specs = "api"\noutput = "out"\npackage = "acme"\nversion = "3.1.4"\n')
    monkeypatch.chdir(tmp_path)
    assert cli.main(["generate"]) == 0
    files = read_tree(tmp_path / "out")
    assert "acme/__init__.py" in files and "acme/py.typed" in files
    assert b'name = "acme"\nversion = "3.1.4"\n' in files["pyproject.toml"]
    assert b'__version__ = "3.1.4"' in files["acme/_version.py"]
    assert b"```sh\npip install ./out\n```" in files["README.md"]
    assert cli.main(["generate", "--check"]) == 0
    # A flag wins over the table; a bad table stops before anything is written.
    assert cli.main(["generate", "--out", "other", "--distribution", "acme-client"]) == 0
    assert b'name = "acme-client"' in read_tree(tmp_path / "other")["pyproject.toml"]
    _project(tmp_path, 'output = "third"\npackage = "3acme"\n')
    capsys.readouterr()
    assert cli.main(["generate"]) == 1
    err = capsys.readouterr().err
    assert "package: '3acme' is not a Python identifier" in err and "Traceback" not in err
    assert not (tmp_path / "third").exists()
