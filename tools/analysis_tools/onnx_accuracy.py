"""Depth metrics of ONNX exports next to the PyTorch model, one test set.

``python tools/analysis_tools/onnx_accuracy.py CONFIG CHECKPOINT
MODEL.onnx [MODEL.int8.onnx ...] [--cfg-options ...] [--threads N]
[--json OUT]``

Each export (``tools/deployment/export_onnx.py``, e.g. with ``--quantize
dynamic`` or ``--fp16``) and the PyTorch model predict the config's test set
through the same pipeline (:mod:`da2zoe.apis.backend_accuracy`); the table
gives abs_rel, d1, rmse and silog, the abs_rel change against PyTorch
float32 and the mean relative depth difference from it. The demo model::

    python tools/analysis_tools/onnx_accuracy.py \\
        configs/da2zoe_tiny_synthetic.py \\
        work_dirs/demo/work/checkpoint_latest.pth \\
        work_dirs/demo.onnx work_dirs/demo.int8.onnx --cfg-options \\
        test_dataloader.dataset.data_root=work_dirs/demo/data/nyu
"""
import argparse
import json
import os.path as osp
import sys

import torch
from mmengine.config import DictAction
from mmengine.dataset import pseudo_collate
from torch.utils.data import DataLoader

from da2zoe.apis import init_model
from da2zoe.apis.backend_accuracy import evaluate_backends, format_table
from da2zoe.apis.onnx_backend import OnnxDepther, is_onnx_file
from da2zoe.registry import DATASETS

REFERENCE = 'pytorch fp32'


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        allow_abbrev=False, description=__doc__.split('\n')[0])
    parser.add_argument('config', help='config file (its test set is used)')
    parser.add_argument('checkpoint', help='PyTorch weights (any layout)')
    parser.add_argument('onnx', nargs='+', help='exported .onnx files')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        default={}, help='config overrides (data_root, ...)')
    parser.add_argument('--batch-size', type=int, default=4)
    parser.add_argument('--threads', type=int, default=None,
                        help='torch and ONNX Runtime threads')
    parser.add_argument('--json', default=None, help='also write the rows')
    args = parser.parse_args(argv)
    for path in args.onnx:
        if not is_onnx_file(path):
            parser.error(f'{path!r} is not an .onnx file')
        if not osp.isfile(path):
            parser.error(f'ONNX model {path!r} not found')
    if len(set(map(osp.abspath, args.onnx))) != len(args.onnx):
        parser.error('an .onnx file is given twice')
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    model = init_model(args.config, args.checkpoint,
                       cfg_options=args.cfg_options)
    models = {REFERENCE: model}
    for path in args.onnx:
        models[osp.basename(path)] = OnnxDepther(path, model.cfg,
                                                 threads=args.threads)
    dataset = DATASETS.build(model.cfg.test_dataloader.dataset)
    loader = DataLoader(dataset, batch_size=args.batch_size,
                        collate_fn=pseudo_collate)
    results = evaluate_backends(models, loader, REFERENCE)
    print(f'{len(dataset)} test images of {args.config}')
    print(format_table(results, REFERENCE))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(dict(images=len(dataset), rows=results), f, indent=2)
    return 0


if __name__ == '__main__':
    sys.exit(main())
