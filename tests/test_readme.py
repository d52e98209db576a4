"""The README's generated parts stay in sync with the code."""

from __future__ import annotations

from harness import ROOT
from typer.testing import CliRunner

from gradscope.diagnosis import rules_markdown

README = ROOT / "README.md"


def test_rules_table_matches_the_registry() -> None:
    text = README.read_text()
    start = text.index("<!-- rules table")
    table = text[text.index("\n", start) + 1 : text.index("<!-- end rules table -->")].strip()
    assert table == rules_markdown()


def test_setup_is_the_first_section_with_two_commands() -> None:
    text = README.read_text()
    first = text.split("\n## ")[1]
    assert first.startswith("Set-up")
    assert "make demo" in first and "make test" in first


def test_install_name_is_ours_everywhere() -> None:
    """pyproject, the README's install lines, its CI example and `gradscope --version` name one distribution."""
    import re
    import tomllib

    import gradscope
    from gradscope.cli import app

    project = tomllib.loads((README.parent / "pyproject.toml").read_text())
    assert project["project"]["name"] == gradscope.DISTRIBUTION == "torch-gradscope"
    assert project["project"]["scripts"] == {"gradscope": "gradscope.cli:main"}
    text = README.read_text()
    installs = re.findall(r"^\s*pip install (\S+)", text, flags=re.MULTILINE)
    assert len(installs) >= 2  # the set-up lines and the CI example
    assert all(name.strip("\"'").startswith(gradscope.DISTRIBUTION) or name == "." for name in installs), installs
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    line = result.stdout.strip()
    assert line == f"gradscope {gradscope.__version__} (package {gradscope.DISTRIBUTION})"
    assert f"# {line}" in text  # the set-up block shows what --version prints
