"""Write a da2zoe DPT-geometry model as a transformers Depth Anything folder.

Builds the model from its config, loads the checkpoint (any layout the
toolbox reads), and writes ``config.json`` + ``model.safetensors`` (or
``pytorch_model.bin`` with ``--format pth``) that
``DepthAnythingForDepthEstimation.from_pretrained(OUT)`` loads. Only the
DPT geometry (``DINOv2`` + ``DPTNeck``, relative or with
``DPTMetricHead``) has a transformers counterpart; a ZoeDepth head has none
and is refused.

Example:
    python tools/model_converters/da2zoe_to_hf.py CONFIG CHECKPOINT OUT \\
        [--format safetensors|pth]
"""
import argparse
import sys

from mmengine.config import Config

from da2zoe.checkpoint import load_pretrained, write_hf_depth_anything
from da2zoe.registry import MODELS


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Write a da2zoe DPT model in the transformers Depth '
        'Anything layout (config.json + model.safetensors).',
        allow_abbrev=False)
    parser.add_argument('config', help='the model config')
    parser.add_argument('checkpoint', help='weights (any supported layout)')
    parser.add_argument('out', help='folder to write')
    parser.add_argument('--format', default='safetensors',
                        choices=('safetensors', 'pth'),
                        help='weights file: model.safetensors (default) or '
                        'pytorch_model.bin')
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    cfg.model.pretrained = None
    model = MODELS.build(cfg.model)
    load_pretrained(model, args.checkpoint, strict=True)
    head = type(model.head).__name__
    if head != 'DPTMetricHead' and list(model.head.parameters()):
        print(f'error: {args.config}: model.head is a {head}; transformers '
              'Depth Anything has only the DPT output (use a config with '
              'DPTMetricHead)', file=sys.stderr)
        return 2
    files = write_hf_depth_anything(model.backbone, model.neck, args.out,
                                    args.format)
    print('wrote ' + ', '.join(files))
    return 0


if __name__ == '__main__':
    sys.exit(main())
