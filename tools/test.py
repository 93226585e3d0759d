"""Evaluates a checkpoint:
``python tools/test.py CONFIG CHECKPOINT [options]``.

The entry point of :mod:`da2zoe.cli.test`. A wrong config path fails
before torch and mmengine are imported.
"""
import sys

from da2zoe.cli.preflight import exit_if_bad_config

if __name__ == '__main__':
    exit_if_bad_config()
    from da2zoe.cli.test import main  # heavy: torch, mmengine, registries
    sys.exit(main())
