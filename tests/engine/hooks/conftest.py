"""Lets the hook tests import ``tests/engine/engine_toys.py``."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
