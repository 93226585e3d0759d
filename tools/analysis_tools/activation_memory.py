"""Activation bytes of a training step and the largest batch per GPU card.

Counts the tensors autograd saves for the backward pass of the config's
training loss (:func:`da2zoe.analysis.activation_memory.saved_tensor_bytes`)
at batch 1 and 2 at the training crop, so that per-image and fixed parts
separate, then estimates the largest batch per rank that fits 24 / 40 / 80 GB
cards under DDP and FSDP with 1-8 GPUs::

    python tools/analysis_tools/activation_memory.py \\
        configs/da2zoe_vitl_nyu.py --train-encoder --with-cp --json out.json

Runs on the CPU (the count is a property of the graph, not of the device;
``--dtype bf16`` counts under bf16 autocast as ``--amp`` trains). Prints
one Markdown table.
"""
import argparse
import json
import sys

import torch
from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope

from da2zoe.analysis.activation_memory import (
    GB,
    fsdp_state_bytes,
    largest_batch,
    saved_tensor_bytes,
    trained_parameter_count,
)
from da2zoe.analysis.malloc import tune_malloc
from da2zoe.models.backbones.dinov2 import DINOv2
from da2zoe.registry import MODELS
from da2zoe.testing.synthetic_batch import synthetic_batch

CARDS_GB = (24, 40, 80)
WORLD_SIZES = (1, 2, 4, 8)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(allow_abbrev=False,
                                     description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('--arch', choices=tuple(DINOv2.arch_zoo),
                        help='encoder size instead of the config\'s')
    parser.add_argument('--crop', type=int, default=None,
                        help='square training crop (default: the config\'s '
                        'crop_size)')
    parser.add_argument('--train-encoder', action='store_true',
                        help='backbone.frozen=False (what FSDP is for)')
    parser.add_argument('--with-cp', action='store_true',
                        help='activation checkpointing of every block')
    parser.add_argument('--dtype', choices=('fp32', 'bf16'), default='fp32')
    parser.add_argument('--reserve-gb', type=float, default=2.0,
                        help='CUDA context + allocator slack + transient '
                        'workspace per card (default 2)')
    parser.add_argument('--json', help='also write the rows here')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(argv)


def build_model(args: argparse.Namespace) -> tuple:
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    model_cfg = cfg.model
    model_cfg.pop('pretrained', None)
    model_cfg.backbone.pop('init_cfg', None)
    model_cfg.backbone.allow_random_frozen = True
    if args.arch:
        model_cfg.backbone.arch = args.arch
        necks = model_cfg.neck if isinstance(model_cfg.neck, list) else [
            model_cfg.neck]
        necks[0].in_channels = DINOv2.arch_zoo[args.arch]['embed_dims']
    if args.train_encoder:
        model_cfg.backbone.frozen = False
    model_cfg.backbone.with_cp = args.with_cp
    init_default_scope('da2zoe')
    model = MODELS.build(model_cfg)
    model.train()
    crop = args.crop or cfg.get('crop_size', 392)
    return model, crop


def activation_bytes(model, crop: int, batch: int, dtype: str) -> int:
    inputs, samples = synthetic_batch(model, batch, (crop, crop),
                                      torch.device('cpu'))

    def step() -> torch.Tensor:
        with torch.autocast('cpu', dtype=torch.bfloat16,
                            enabled=dtype == 'bf16'):
            losses = model.loss(inputs, samples)
        return sum(losses.values())

    held = list(model.parameters()) + list(model.buffers())
    return saved_tensor_bytes(step, exclude=held)


def main(argv=None) -> int:
    args = parse_args(argv)
    tune_malloc()
    torch.manual_seed(0)
    model, crop = build_model(args)
    one = activation_bytes(model, crop, 1, args.dtype)
    two = activation_bytes(model, crop, 2, args.dtype)
    saved, fixed = two - one, 2 * one - two
    recompute = 0
    if args.with_cp:
        # The backward pass recomputes one block at a time: its activations
        # come back on top of the checkpointed inputs.
        model.backbone.with_cp = False
        plain = activation_bytes(model, crop, 1, args.dtype) - fixed
        model.backbone.with_cp = True
        recompute = max(plain - saved, 0) / len(model.backbone.blocks)
    per_sample = saved + recompute
    total = sum(p.numel() for p in model.parameters())
    trained = trained_parameter_count(model)
    # One FSDP unit (the largest block) gathered, with its gradient.
    unit = max((sum(p.numel() for p in block.parameters())
                for block in getattr(model.backbone, 'blocks', [])),
               default=0) * 4 * 2
    rows = []
    for mode, world_sizes in (('DDP', (1, )), ('FSDP', WORLD_SIZES[1:])):
        for world in world_sizes:
            state = fsdp_state_bytes(trained, total, world, mode == 'FSDP')
            row = dict(mode=mode, world_size=world, state_gb=state / GB)
            for card in CARDS_GB:
                row[f'batch_{card}gb'] = largest_batch(
                    card * GB, state + fixed, per_sample,
                    args.reserve_gb * GB,
                    unit if mode == 'FSDP' else 0.0)
            rows.append(row)
    summary = dict(config=args.config, arch=model.backbone.arch_name,
                   crop=crop, dtype=args.dtype,
                   train_encoder=args.train_encoder, with_cp=args.with_cp,
                   params=total, trained_params=trained,
                   activation_bytes_per_image=per_sample,
                   saved_bytes_per_image=saved,
                   recompute_bytes_per_image=recompute,
                   activation_bytes_fixed=fixed,
                   reserve_gb=args.reserve_gb, rows=rows)
    print(f'{summary["arch"]} crop {crop} {args.dtype}, encoder '
          f'{"trained" if args.train_encoder else "frozen"}, '
          f'with_cp={args.with_cp}: {trained / 1e6:.1f} M of '
          f'{total / 1e6:.1f} M parameters trained; activations '
          f'{per_sample / GB:.3f} GB per image (saved {saved / GB:.3f} + '
          f'one recomputed block {recompute / GB:.3f}) + '
          f'{fixed / GB:.3f} GB fixed')
    print('| mode | GPUs | state GB / rank | ' +
          ' | '.join(f'batch / GPU, {c} GB' for c in CARDS_GB) + ' |')
    print('|---|---|---|' + '---|' * len(CARDS_GB))
    for row in rows:
        print(f'| {row["mode"]} | {row["world_size"]} | '
              f'{row["state_gb"]:.2f} | ' +
              ' | '.join(str(row[f'batch_{c}gb']) for c in CARDS_GB) + ' |')
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(summary, f, indent=2)
    return 0


if __name__ == '__main__':
    sys.exit(main())
