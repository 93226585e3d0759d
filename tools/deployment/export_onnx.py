"""Export a da2zoe model to ONNX (image in [0, 1] -> metric depth).

``python tools/deployment/export_onnx.py CONFIG CKPT OUT.onnx [--dynamic]
[--opset N] [--size H W] [--fp16] [--quantize dynamic] [--check]``

The graph takes float32 RGB in [0, 1], NCHW, with H and W multiples of 14
(normalisation is inside), and for a canonical-camera model (``model.camera``)
a second input ``focal`` (B,), each image's focal in pixels of that input; it
returns (B, 1, H, W) metres (and ``sky`` for a Depth Anything 3 head, whose
sky fill runs after the graph). Run it with
``tools/infer.py CONFIG OUT.onnx INPUT --backend onnxruntime`` or
:func:`da2zoe.apis.init_model` (``.onnx`` gives an ONNX Runtime model).
"""
import argparse
import sys

import numpy as np
import onnx
import torch

from da2zoe.apis import init_model
from da2zoe.apis.export import (
    DEFAULT_OPSET,
    DepthExportModule,
    check_export_size,
    export_onnx,
    quantize_onnx_dynamic,
)
from da2zoe.apis.onnx_backend import OnnxDepther


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        allow_abbrev=False, description='Export a da2zoe model to ONNX')
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', help='checkpoint (any layout)')
    parser.add_argument('out', help='the .onnx file to write')
    parser.add_argument(
        '--dynamic', action='store_true',
        help='dynamic batch, height and width (multiples of 14)')
    parser.add_argument('--opset', type=int, default=DEFAULT_OPSET)
    parser.add_argument(
        '--size', type=int, nargs=2, default=(392, 518), metavar=('H', 'W'),
        help='export size, multiples of 14 (default 392 518)')
    parser.add_argument(
        '--fp16', action='store_true',
        help='float16 network, float32 input/output (for GPU runtimes; '
        'ONNX Runtime CPU runs it, slower than float32)')
    parser.add_argument(
        '--quantize', choices=('dynamic', ), default=None,
        help='also write OUT with .int8.onnx: int8 MatMul weights')
    parser.add_argument(
        '--check', action='store_true',
        help='compare ONNX Runtime with PyTorch on a random image at the '
        'export size')
    args = parser.parse_args(argv)
    if not args.out.endswith('.onnx'):
        parser.error(f'OUT={args.out!r} must end with .onnx')
    if args.fp16 and args.quantize:
        # ONNX Runtime's dynamic quantiser takes float32 weights.
        parser.error('--quantize dynamic quantises a float32 export: drop '
                     '--fp16 (or export twice)')
    try:
        args.size = check_export_size(args.size)
    except ValueError as err:
        parser.error(str(err))
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    model = init_model(args.config, args.checkpoint)
    out = export_onnx(model, args.out, size=args.size, dynamic=args.dynamic,
                      opset=args.opset, fp16=args.fp16)
    onnx.checker.check_model(out)
    print(f'wrote {out} (opset {args.opset}, '
          f'{"dynamic" if args.dynamic else "static"} '
          f'{args.size[0]}x{args.size[1]}, input float32 RGB in [0, 1])')
    outputs = [out]
    if args.quantize:
        int8 = out[:-len('.onnx')] + '.int8.onnx'
        outputs.append(quantize_onnx_dynamic(out, int8))
        print(f'wrote {int8} (int8 dynamic quantisation)')
    if args.check:
        image = torch.rand(1, 3, *args.size, generator=torch.Generator()
                           .manual_seed(0))
        graph = DepthExportModule(model).eval()
        inputs = graph.example_inputs(image)
        if len(inputs) == 2:  # a focal other than the canonical one
            inputs = (image, inputs[1] * 0.75)
        with torch.no_grad():
            ref = graph.depth(*inputs).numpy()
        arrays = [x.numpy() for x in inputs]
        for path in outputs:
            got = OnnxDepther(path, model.cfg).run(*arrays)
            rel = np.abs(got - ref) / np.maximum(np.abs(ref), 1e-6)
            print(f'{path}: max relative error vs PyTorch {rel.max():.2e}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
