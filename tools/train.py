"""Trains a da2zoe model: ``python tools/train.py CONFIG [options]``.

The entry point of :mod:`da2zoe.cli.train` (OpenMMLab flags and the seed's
flags; docs/seed_flags.md).
"""
import sys

from da2zoe.cli.train import main

if __name__ == '__main__':
    sys.exit(main())
