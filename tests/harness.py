"""Where things are, for every test: the checkout, its scripts, samples and golden files."""

from pathlib import Path

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
SCRIPTS = TESTS / "scripts"
SAMPLES = ROOT / "sample_models"
GOLDEN = TESTS / "golden"
