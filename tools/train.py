"""Trains a da2zoe model: ``python tools/train.py CONFIG [options]``.

The entry point of :mod:`da2zoe.cli.train` (OpenMMLab flags and the seed's
flags; docs/seed_flags.md). A wrong config path fails before torch and
mmengine are imported.
"""
import sys

from da2zoe.cli.cpu_load import adapt_to_cpu_load
from da2zoe.cli.preflight import exit_if_bad_config

if __name__ == '__main__':
    exit_if_bad_config()
    note = adapt_to_cpu_load()  # before torch: OpenMP reads it at load
    if note:
        print(note, flush=True)
    from da2zoe.cli.train import main  # heavy: torch, mmengine, registries
    sys.exit(main())
