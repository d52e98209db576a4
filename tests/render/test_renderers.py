"""Every output format follows the one renderer protocol, and the registry finds each by its name."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from render_helpers import exploding_report

from gradscope.render import Renderer, renderer, renderers, write_outputs

# Every format the registry finds, so a new one is held to the protocol without a line here.
FORMATS = tuple(r.name for r in renderers())


def test_the_registry_finds_every_format_named_after_its_module() -> None:
    found = renderers()
    assert {"csv", "json", "plots", "text"} <= set(FORMATS)
    for r in found:
        assert isinstance(r, Renderer)
        assert renderer(r.name) is r
        assert sys.modules[f"gradscope.render.{r.name}"].RENDERER is r


@pytest.mark.parametrize("name", FORMATS)
def test_each_format_writes_whole_files_with_its_suffixes(name: str, tmp_path: Path) -> None:
    r = renderer(name)
    assert r.suffixes and all(s.startswith(".") for s in r.suffixes)
    # The same call for every format; plots takes the path as the folder of its files.
    written = r.write(exploding_report(), tmp_path / "out" / f"run{r.suffixes[0]}")
    assert written, f"{name} wrote nothing"
    for path in written:
        assert path.is_file() and path.stat().st_size > 0, path
        assert path.suffix in r.suffixes, path
    leftovers = [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")]
    assert not leftovers, "temp files left behind"


def test_write_outputs_writes_what_was_asked_in_the_order_asked(tmp_path: Path) -> None:
    report = exploding_report()
    text, json = tmp_path / "run.txt", tmp_path / "run.json"
    written = write_outputs(report, {"text": text, "csv": None, "json": json})
    assert written == [text, json]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.json", "run.txt"]
    assert text.read_text() == str(report)


def test_an_unknown_format_is_named() -> None:
    with pytest.raises(ValueError, match="no output format 'no_such_format'"):
        renderer("no_such_format")
    with pytest.raises(ValueError, match="defines no RENDERER"):
        renderer("files")


def test_looking_up_a_format_imports_only_that_format() -> None:
    code = textwrap.dedent("""
        import sys
        from gradscope.render import renderer
        renderer("json")
        renderer("csv")
        print("HEAVY", sorted(m for m in ("torch", "pandas", "matplotlib", "numpy") if m in sys.modules))
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert "HEAVY []" in done.stdout, done.stdout
