"""The tree passes the project's lint settings (ruff.toml), as the pre-commit
hook checks them."""
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_ruff_passes_on_the_tree():
    result = subprocess.run(
        [sys.executable, '-m', 'ruff', 'check', '--no-cache', str(REPO)],
        capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stdout + result.stderr
