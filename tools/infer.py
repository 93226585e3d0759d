"""Metric depth for images, folders, globs, videos and cameras:
``python tools/infer.py CONFIG CHECKPOINT INPUT [--out-dir DIR] [options]``.

The entry point of :mod:`da2zoe.cli.infer`, whose docstring lists the
outputs (``--save png16 npy color ply video``, ``--vis ...``) and options.
A wrong config path fails before torch and mmengine are imported.
"""
import sys

from da2zoe.cli.preflight import exit_if_bad_config

if __name__ == '__main__':
    exit_if_bad_config()
    from da2zoe.cli.infer import main  # heavy: torch, mmengine, registries
    sys.exit(main())
