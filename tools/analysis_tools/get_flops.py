"""FLOPs and parameters of a da2zoe model, per module group.

``python tools/analysis_tools/get_flops.py CONFIG [--shape H W] [--arch vits]``

Counted with :class:`mmengine.analysis.FlopAnalyzer` (fvcore's counters on a
TorchScript trace of one forward pass). Its convention is **one
multiply-add = one flop**, so its figures are MACs; the table reports them
and FLOPs = 2 x MACs. Matmuls, convolutions (transposed too), linear layers,
norms and interpolation are counted; element-wise ops (activations,
additions, softmax) are not. Scaled-dot-product attention, which fvcore
does not know, is counted here as its two matmuls, ``q k^T`` and
``attn v``; ops still unknown to the counter are listed under the table.
"""
import argparse
from collections import Counter
from typing import Dict, List, Sequence, Tuple

import torch
from mmengine.analysis import FlopAnalyzer, parameter_count
from mmengine.analysis.jit_handles import get_shape
from mmengine.config import Config, DictAction
from torch import nn

from da2zoe.models.backbones.dinov2 import DINOv2
from da2zoe.registry import MODELS
from da2zoe.structures.patch_grid import check_multiple_of_14


def sdpa_flop_jit(inputs: List, outputs: List) -> int:
    """MACs of ``scaled_dot_product_attention(q, k, v)``.

    ``q k^T`` costs ``B h N M d`` and ``attn v`` costs ``B h N M d_v`` for
    q (B, h, N, d), k (B, h, M, d), v (B, h, M, d_v).
    """
    q, k, v = (get_shape(value) for value in inputs[:3])
    *batch, n, d = q
    m, d_v = k[-2], v[-1]
    heads = 1
    for size in batch:
        heads *= size
    return heads * n * m * (d + d_v)


def build_model(config: str,
                arch: str = None,
                cfg_options: dict = None) -> nn.Module:
    """Builds the config's model in eval mode, optionally with another ViT.

    Args:
        config (str): Config file.
        arch (str, optional): Replaces ``model.backbone.arch``; the first
            neck's ``in_channels`` follows the arch's width.
        cfg_options (dict, optional): Config overrides.

    Returns:
        nn.Module: The model.
    """
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    if arch is not None:
        cfg.model.backbone.arch = arch
        necks = cfg.model.neck
        first = necks[0] if isinstance(necks, (list, tuple)) else necks
        if 'in_channels' in first:
            first.in_channels = DINOv2.arch_zoo[arch]['embed_dims']
    return MODELS.build(cfg.model).eval()


def module_groups(model: nn.Module) -> List[str]:
    """``backbone``, ``neck``, ``head`` and their direct children."""
    names = []
    for group in ('backbone', 'neck', 'head'):
        module = getattr(model, group, None)
        if module is None:
            continue
        names.append(group)
        if group != 'backbone':
            names += [f'{group}.{child}' for child, _ in
                      module.named_children()]
    return names


def analyze(model: nn.Module,
            shape: Sequence[int]) -> Tuple[Dict[str, Tuple[int, int]],
                                           Counter]:
    """MACs and parameters per module group for one (1, 3, H, W) input.

    Args:
        model (nn.Module): A depther whose ``forward(inputs)`` returns depth.
        shape (Sequence[int]): ``(H, W)``, multiples of 14.

    Returns:
        tuple: ``{name: (params, macs)}`` for ``''`` (the whole model) and
        every group of :func:`module_groups`, and the unsupported ops.
    """
    height, width = check_multiple_of_14(tuple(shape), '--shape')
    inputs = torch.zeros(1, 3, height, width)
    analyzer = FlopAnalyzer(model, (inputs, ))
    analyzer.set_op_handle('aten::scaled_dot_product_attention',
                           sdpa_flop_jit)
    analyzer.unsupported_ops_warnings(False)
    analyzer.uncalled_modules_warnings(False)
    analyzer.tracer_warnings('none')
    with torch.no_grad():
        macs = analyzer.by_module()
    params = parameter_count(model)
    rows = {
        name: (params.get(name, 0), macs.get(name, 0))
        for name in [''] + module_groups(model)
    }
    return rows, analyzer.unsupported_ops()


def _giga(value: float) -> str:
    return f'{value / 1e9:10.3f}'


def format_table(model: nn.Module,
                 rows: Dict[str, Tuple[int, int]]) -> str:
    """A text table: module (class), params (M), GMACs, GFLOPs."""
    lines = [f'{"module":52s} {"params(M)":>10s} {"GMACs":>10s} '
             f'{"GFLOPs":>10s}']
    for name, (params, macs) in rows.items():
        indent = '  ' * name.count('.')
        kind = type(model.get_submodule(name)).__name__
        label = f'{indent}{name or "total"} ({kind})'
        lines.append(f'{label:52s} {params / 1e6:10.3f} {_giga(macs)} '
                     f'{_giga(2 * macs)}')
    return '\n'.join(lines)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        allow_abbrev=False,
        description='FLOPs and parameters per module group')
    parser.add_argument('config', help='config file')
    parser.add_argument(
        '--shape', type=int, nargs=2, default=[518, 518], metavar=('H', 'W'),
        help='input size, multiples of 14 (default 518 518)')
    parser.add_argument(
        '--arch', choices=tuple(DINOv2.arch_zoo),
        help='replace the config\'s encoder size')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config keys')
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    model = build_model(args.config, args.arch, args.cfg_options)
    rows, unsupported = analyze(model, args.shape)
    height, width = args.shape
    print(f'input 1x3x{height}x{width}; 1 MAC (multiply-add) = 2 FLOPs; '
          'element-wise ops not counted')
    print(format_table(model, rows))
    if unsupported:
        ops = ', '.join(f'{op} x{n}' for op, n in unsupported.most_common())
        print(f'not counted: {ops}')


if __name__ == '__main__':
    main()
