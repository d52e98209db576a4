"""The README's generated parts stay in sync with the code."""

from __future__ import annotations

from pathlib import Path

from gradscope.diagnosis import rules_markdown

README = Path(__file__).parent.parent / "README.md"


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
