"""Evaluates a checkpoint:
``python tools/test.py CONFIG CHECKPOINT [options]``.

The entry point of :mod:`da2zoe.cli.test`.
"""
import sys

from da2zoe.cli.test import main

if __name__ == '__main__':
    sys.exit(main())
