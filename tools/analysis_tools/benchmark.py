"""Measures training and inference speed, memory and FLOPs utilisation.

Usage::

    python tools/analysis_tools/benchmark.py CONFIG --mode train \\
        --batch-size 2 --size 392 518 --dtype bf16 --json out.json
    python tools/analysis_tools/benchmark.py CONFIG --mode infer --size 518 686
    python tools/analysis_tools/benchmark.py CONFIG --mode data

Modes (one per process, so that the peak RSS belongs to that mode):

- ``train``: images/s of a training step = forward + the config's losses on a
  synthetic ground-truth batch + backward + an AdamW step, on pre-made
  tensors (data loading excluded), and, when the config's
  ``train_dataloader`` can be built, with batches drawn from it (included;
  otherwise reported as n/a).
- ``infer``: latency per batch of ``MetricDepther.predict_depth`` (tensor
  output, ``no_grad``).
- ``data``: samples/s of the config's train dataset pipeline iterated in this
  process, i.e. what one dataloader worker delivers.

FLOPs come from ``torch.utils.flop_counter.FlopCounterMode`` (1 multiply-add
= 2 FLOPs, CPU flash attention included), counted on the step that is timed
(a frozen encoder has no backward, so a frozen-encoder training step is less
than 3x the forward; both figures are in the JSON; activation-checkpointing
recompute is reported apart, as executed FLOPs). Utilisation (MFU) = model
FLOP/s / the FLOP/s of a 2048^2 matmul loop in the same dtype, measured by
the tool on this machine first. ``--dtype bf16`` runs the step
under ``torch.autocast(device, dtype=torch.bfloat16)``; losses stay float32.
"""
import argparse
import json
import os.path as osp
import platform
import sys
import time

import torch
from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope

from da2zoe.analysis.benchmark import (
    count_flops,
    current_rss_bytes,
    load_average,
    matmul_peak_flops,
    median,
    peak_rss_bytes,
    reset_peak_rss,
    time_calls,
)
from da2zoe.analysis.cpu import cpu_info
from da2zoe.analysis.malloc import tune_malloc
from da2zoe.analysis.peer_compare import (
    KINDS,
    PEERS,
    DepthAnythingPeer,
    OurDepthAnything,
    check_same_layers,
    compare,
)
from da2zoe.analysis.v1_reference import (
    V1ReferencePeer,
    build_reference,
    check_reference_path,
    load_reference_weights,
    reference_kwargs,
)
from da2zoe.apis.backend_benchmark import benchmark_backends
from da2zoe.models.backbones.dinov2 import DINOv2
from da2zoe.registry import DATASETS, MODELS
from da2zoe.testing.synthetic_batch import synthetic_batch

DTYPES = {'fp32': torch.float32, 'bf16': torch.bfloat16}
MB = 1024**2


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        allow_abbrev=False,
        description='Benchmark a da2zoe model: throughput, latency, memory '
        'and FLOPs utilisation')
    parser.add_argument('config', help='config file (a model config is '
                        'enough for train/infer; data needs a dataloader)')
    parser.add_argument('--mode', choices=('train', 'infer', 'data'),
                        default='train')
    parser.add_argument('--batch-size', type=int, default=None,
                        help='default: 2 for train, 1 for infer')
    parser.add_argument('--size', type=int, nargs=2, default=(392, 518),
                        metavar=('H', 'W'), help='input size, multiples of '
                        '14 (default 392 518)')
    parser.add_argument('--dtype', choices=tuple(DTYPES), default='fp32',
                        help='bf16 = autocast to bfloat16')
    parser.add_argument('--iters', type=int, default=4,
                        help='timed iterations; the median is reported')
    parser.add_argument('--warmup', type=int, default=2,
                        help='untimed iterations first')
    parser.add_argument('--arch', choices=('vits', 'vitb', 'vitl', 'vitg'),
                        help='swap the encoder arch (backbone.arch and the '
                        "first neck's in_channels)")
    parser.add_argument('--train-encoder', action='store_true',
                        help='backbone.frozen=False (the config default '
                        'freezes the encoder)')
    parser.add_argument('--with-cp', action='store_true',
                        help='activation checkpointing of the encoder blocks')
    parser.add_argument('--low-precision-logits', action='store_true',
                        help='DINOv2(low_precision_logits=True): 16-bit '
                        'matmul attention instead of the CPU flash kernel '
                        'where no gradient is needed (with --dtype bf16)')
    parser.add_argument('--compile', action='store_true',
                        help='MetricDepther(compile=True): torch.compile the '
                        'backbone, neck and head')
    parser.add_argument('--channels-last', action='store_true',
                        help='DepthDataPreprocessor(channels_last=True): '
                        'channels-last inputs and convolution weights')
    parser.add_argument('--fused-adamw', action='store_true',
                        help='AdamW(fused=True): one kernel for all tensors '
                        '(the default for-each-tensor AdamW is slow on CPU)')
    parser.add_argument('--no-malloc-tuning', action='store_true',
                        help='keep glibc malloc defaults (the tools raise '
                        'its mmap / trim thresholds: '
                        'da2zoe/analysis/malloc.py)')
    parser.add_argument('--threads', type=int, default=None,
                        help='torch.set_num_threads (default: torch default)')
    parser.add_argument('--device', default=None,
                        help='default: cuda if available, else cpu')
    parser.add_argument('--peak-gflops', type=float, default=None,
                        help='use this matmul peak instead of measuring it')
    parser.add_argument('--data-samples', type=int, default=20,
                        help='samples drawn in data mode')
    parser.add_argument('--profile', type=int, default=0, metavar='N',
                        help='print the N most expensive ops of one '
                        'iteration (torch.profiler)')
    parser.add_argument('--compare', choices=PEERS,
                        help='run ours and this peer (the same DINOv2 + DPT '
                        'layers, our weights) in one process, interleaved, '
                        'and print the ratio (train or infer mode); '
                        'v1-reference: Depth Anything V1 metric code from '
                        '--reference-path on a DPT + ZoeDepth config')
    parser.add_argument('--reference-path', metavar='DIR',
                        help='with --compare v1-reference: your checkout of '
                        'github.com/LiheYoung/Depth-Anything')
    parser.add_argument('--peer-kinds', nargs='+', choices=KINDS,
                        default=list(KINDS),
                        help='with --compare: DA-V2 metric (the config as '
                        'is) and/or relative (its neck with a ReLU output)')
    parser.add_argument('--sizes', type=int, nargs='+', metavar='H W',
                        help='with --compare: several sizes in one run '
                        '(pairs, e.g. 392 518 518 686); default --size')
    parser.add_argument('--backend', choices=('onnxruntime', ),
                        help='infer mode: export the model to ONNX (dynamic '
                        'H, W) and time PyTorch fp32 / bf16 (native bf16 '
                        'CPUs only) against ONNX Runtime fp32 / int8 on the '
                        'same graph, interleaved, at --sizes')
    parser.add_argument('--no-int8', action='store_true',
                        help='with --backend: leave out the int8 export')
    parser.add_argument('--json', help='write the results here')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config keys')
    args = parser.parse_args(argv)
    if args.batch_size is None:
        args.batch_size = 2 if args.mode == 'train' else 1
    if args.sizes is not None and len(args.sizes) % 2:
        parser.error(f'--sizes takes H W pairs, got {args.sizes}')
    if args.compare and args.mode == 'data':
        parser.error('--compare runs train or infer mode')
    if args.compare == 'v1-reference' and not args.reference_path:
        parser.error('--compare v1-reference needs --reference-path DIR '
                     '(a checkout of github.com/LiheYoung/Depth-Anything)')
    if args.backend and (args.mode != 'infer' or args.compare):
        parser.error('--backend runs infer mode, without --compare')
    return args


def load_config(args: argparse.Namespace) -> Config:
    """The config with the command-line switches applied."""
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    model = cfg.model
    if args.arch:
        model.backbone.arch = args.arch
        necks = model.neck if isinstance(model.neck, list) else [model.neck]
        necks[0].in_channels = DINOv2.arch_zoo[args.arch]['embed_dims']
    if args.train_encoder:
        model.backbone.frozen = False
    if args.with_cp:
        model.backbone.with_cp = True
    if args.low_precision_logits:
        model.backbone.low_precision_logits = True
    if args.compile:
        model.compile = True
    if args.channels_last:
        preprocessor = model.get('data_preprocessor') or dict(
            type='DepthDataPreprocessor')
        model.data_preprocessor = dict(preprocessor, channels_last=True)
    return cfg


def build_model(cfg: Config, args: argparse.Namespace,
                device: torch.device) -> torch.nn.Module:
    """Builds the model with its own initialisation (no checkpoint loads:
    speed does not depend on the weights)."""
    cfg.model.pop('pretrained', None)
    # channels_last: the preprocessor switch also converts the weights.
    return MODELS.build(cfg.model).to(device)


def eager_flops(fn) -> tuple[int, dict[str, int]]:
    """:func:`count_flops` with compiled parts run eagerly (the counter
    sees only eager ops)."""
    with torch.compiler.set_stance('force_eager'):
        return count_flops(fn)


def autocast(device: torch.device, dtype: torch.dtype):
    return torch.autocast(
        device.type, dtype=torch.bfloat16, enabled=dtype != torch.float32)


class TrainStep:
    """forward + losses + backward + AdamW step on the trainable parameters."""

    def __init__(self, model, device, dtype, fused=False):
        self.model, self.device, self.dtype = model, device, dtype
        params = [p for p in model.parameters() if p.requires_grad]
        self.optimizer = torch.optim.AdamW(
            params, lr=1e-6, fused=True if fused else None)

    def forward_backward(self, inputs, samples):
        with autocast(self.device, self.dtype):
            losses = self.model(inputs, samples, mode='loss')
        loss = sum(losses.values())
        loss.backward()
        return loss

    def __call__(self, inputs, samples):
        self.forward_backward(inputs, samples)
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)


def build_train_loader(cfg: Config, batch_size: int):
    """The config's train dataloader at ``batch_size``, or None with the
    reason when it cannot be built (no dataloader, data not on disk)."""
    if not cfg.get('train_dataloader'):
        return None, 'the config has no train_dataloader'
    from mmengine.registry import init_default_scope
    from mmengine.runner import Runner
    init_default_scope(cfg.get('default_scope', 'da2zoe'))
    loader_cfg = dict(cfg.train_dataloader, batch_size=batch_size)
    try:
        loader = Runner.build_dataloader(loader_cfg, seed=0)
        iter(loader)
    except Exception as err:  # noqa: BLE001 - any failure means n/a
        return None, f'{type(err).__name__}: {err}'.splitlines()[0][:200]
    return loader, None


def profile_table(fn, rows: int) -> str:
    from torch.profiler import ProfilerActivity, profile
    activities = [ProfilerActivity.CPU]
    if torch.cuda.is_available():
        activities.append(ProfilerActivity.CUDA)
    with profile(activities=activities) as prof:
        fn()
    key = 'cuda_time_total' if torch.cuda.is_available() else \
        'self_cpu_time_total'
    return prof.key_averages().table(sort_by=key, row_limit=rows)


def run_train(cfg, args, model, device, dtype, result) -> None:
    model.train()
    inputs, samples = synthetic_batch(model, args.batch_size, args.size,
                                      device)
    step = TrainStep(model, device, dtype, args.fused_adamw)
    result['trainable_params_m'] = sum(
        p.numel() for p in step.optimizer.param_groups[0]['params']) / 1e6
    with torch.no_grad():
        fwd, fwd_parts = eager_flops(lambda: model(inputs, mode='tensor'))
    # Model FLOPs: what the step needs, without activation-checkpointing
    # recomputation (that is counted separately as executed FLOPs).
    with_cp = getattr(model.backbone, 'with_cp', False)
    model.backbone.with_cp = False
    step_flops, _ = eager_flops(
        lambda: step.forward_backward(inputs, samples))
    model.backbone.with_cp = with_cp
    executed = step_flops
    if with_cp:
        executed, _ = eager_flops(
            lambda: step.forward_backward(inputs, samples))
    step.optimizer.zero_grad(set_to_none=True)
    result.update(
        flops_forward=fwd, flops_step=step_flops,
        flops_step_executed=executed,
        flops_step_3x_forward=3 * fwd,
        # Per part for the forward only: torch's module tracker attributes
        # backward ops by the hooks that fire, not by the module that owns
        # them, so a per-part split of the backward would mislead.
        flops_forward_per_part=fwd_parts)

    reset_peak_rss()
    before = current_rss_bytes()
    if device.type == 'cuda':
        torch.cuda.reset_peak_memory_stats(device)
    times = time_calls(lambda: step(inputs, samples), args.iters,
                       args.warmup, device)
    t = median(times)
    result.update(times_s=times, median_s=t,
                  images_per_s=args.batch_size / t,
                  achieved_flops=step_flops / t)
    record_memory(result, device, before)
    if args.profile:
        result['profile'] = profile_table(lambda: step(inputs, samples),
                                          args.profile)

    loader, why = build_train_loader(cfg, args.batch_size)
    if loader is None:
        result['with_data'] = dict(images_per_s=None, reason=why)
        return
    batches = iter(loader)
    shapes = []

    def loaded_step():
        data = model.data_preprocessor(next(batches), True)
        shapes.append(list(data['inputs'].shape[-2:]))
        step(data['inputs'], data['data_samples'])

    # The first batch also starts the workers: one untimed step.
    loaded = time_calls(loaded_step, args.iters, 1, device)
    result['with_data'] = dict(
        times_s=loaded, median_s=median(loaded),
        images_per_s=args.batch_size / median(loaded),
        input_size=shapes[-1],
        num_workers=cfg.train_dataloader.get('num_workers', 0))


def run_infer(cfg, args, model, device, dtype, result) -> None:
    model.eval()
    inputs, _ = synthetic_batch(model, args.batch_size, args.size, device)

    def predict():
        with autocast(device, dtype):
            model.predict_depth(inputs)

    # Counted through forward() so that parts are named; x2 with flip TTA.
    with torch.no_grad(), autocast(device, dtype):
        flops, per_part = eager_flops(lambda: model(inputs, mode='tensor'))
    tta = 2 if model.test_cfg.get('flip', False) else 1
    flops, per_part = tta * flops, {k: tta * v for k, v in per_part.items()}
    result.update(flops_forward=flops,
                  flops_forward_per_part={k: v for k, v in per_part.items()})
    reset_peak_rss()
    before = current_rss_bytes()
    if device.type == 'cuda':
        torch.cuda.reset_peak_memory_stats(device)
    times = time_calls(predict, args.iters, args.warmup, device)
    t = median(times)
    result.update(times_s=times, median_s=t,
                  latency_per_image_s=t / args.batch_size,
                  images_per_s=args.batch_size / t,
                  achieved_flops=flops / t)
    record_memory(result, device, before)
    if args.profile:
        result['profile'] = profile_table(predict, args.profile)


def run_data(cfg, args, result) -> None:
    if not cfg.get('train_dataloader'):
        result['reason'] = 'the config has no train_dataloader'
        return
    init_default_scope(cfg.get('default_scope', 'da2zoe'))
    try:
        dataset = DATASETS.build(cfg.train_dataloader.dataset)
    except Exception as err:  # noqa: BLE001 - any failure means n/a
        result['reason'] = f'{type(err).__name__}: {err}'.splitlines()[0]
        return
    n = min(args.data_samples, len(dataset))
    dataset[0]
    start = time.perf_counter()
    for i in range(n):
        dataset[i % len(dataset)]
    elapsed = time.perf_counter() - start
    result.update(samples=n, seconds=elapsed,
                  samples_per_s_per_worker=n / elapsed,
                  num_workers=cfg.train_dataloader.get('num_workers', 0),
                  dataset_len=len(dataset))


def run_compare(cfg, args, device, dtype, result) -> None:
    """Ours vs ``args.compare`` for each kind and size, interleaved."""
    sizes = args.sizes or list(args.size)
    sizes = [tuple(sizes[i:i + 2]) for i in range(0, len(sizes), 2)]
    if dtype != torch.float32 and device.type == 'cpu' and \
            not cpu_info().native_bf16:
        print('note: this CPU has no native bf16: bf16 ratios here are no '
              'speed-up claim (fp32 is faster on it)')
    if args.compare == 'v1-reference':
        result['compare'] = [
            compare_v1_reference(cfg, args, device, dtype, size)
            for size in sizes]
        return
    rows = []
    for kind in args.peer_kinds:
        kind_cfg = cfg.copy()
        # transformers' position-embedding resize, so outputs agree.
        kind_cfg.model.backbone.pos_embed_rule = 'transformers'
        if kind == 'relative':
            kind_cfg.model.neck.head_activation = 'relu'
        depther = build_model(kind_cfg, args, device)
        check_same_layers(depther, kind, args.config)
        ours = OurDepthAnything(depther, kind)
        peer = DepthAnythingPeer(depther.backbone, depther.neck).to(device)
        for size in sizes:
            inputs, samples = synthetic_batch(depther, args.batch_size,
                                              size, device)
            target = torch.stack([s.gt_depth for s in samples])
            row = compare(ours, peer, args.mode, inputs, target, args.iters,
                          args.warmup, lambda: autocast(device, dtype),
                          device, fused=args.fused_adamw)
            row.update(kind=kind, size=list(size))
            rows.append(row)
            print_compare_row(row, args)
        del ours, peer, depther
    result['compare'] = rows


def compare_v1_reference(cfg, args, device, dtype, size) -> dict:
    """Ours vs Depth Anything V1's metric code at one size (the reference
    is built for its input size), interleaved, with its weights in ours."""
    try:
        path = check_reference_path(args.reference_path)
        kwargs = reference_kwargs(cfg.model.head, cfg.model.neck,
                                  cfg.model.backbone, args.config)
    except (FileNotFoundError, ValueError) as err:
        raise SystemExit(f'error: {err}') from None
    ref_cfg = cfg.copy()
    # V1 reads DINOv2's last 4 blocks (the vits config reads DA-V2's).
    ref_cfg.model.backbone.out_indices = 4
    if args.mode == 'train' and ref_cfg.model.backbone.get('frozen'):
        raise SystemExit(f'{args.config}: the V1 reference trains its '
                         'encoder; pass --train-encoder')
    depther = build_model(ref_cfg, args, device)
    reference = build_reference(path, kwargs, size).to(device)
    loaded = load_reference_weights(depther, reference)
    preprocessor = depther.data_preprocessor
    peer = V1ReferencePeer(reference, preprocessor.mean,
                           preprocessor.std).to(device)
    inputs, samples = synthetic_batch(depther, args.batch_size, size, device)
    target = torch.stack([s.gt_depth for s in samples])
    row = compare(OurDepthAnything(depther, 'metric'), peer, args.mode,
                  inputs, target, args.iters, args.warmup,
                  lambda: autocast(device, dtype), device,
                  fused=args.fused_adamw)
    row.update(kind='metric', size=list(size), reference_path=path,
               tensors_loaded=loaded)
    print_compare_row(row, args)
    return row


def run_backends(cfg, args, device, result) -> None:
    """``--backend onnxruntime``: one exported graph, four variants."""
    if device.type != 'cpu':
        raise SystemExit('--backend onnxruntime measures the CPU: pass '
                         '--device cpu')
    sizes = args.sizes or list(args.size)
    sizes = [tuple(sizes[i:i + 2]) for i in range(0, len(sizes), 2)]
    model = build_model(cfg, args, device)
    out = benchmark_backends(model, cfg, sizes, args.batch_size, args.iters,
                             args.warmup, args.threads, not args.no_int8)
    result['backends'] = out
    for name, why in out['left_out'].items():
        print(f'{name}: left out ({why})')
    print('| batch x size | ' + ' | '.join(out['variants']) + ' |')
    print('|---' * (len(out['variants']) + 1) + '|')
    for row in out['rows']:
        cells = [f"{row[v]['median_s']:.3f} s ({row[v]['speedup']:.2f}x, "
                 f"err {row[v]['mean_rel_error']:.1e})"
                 for v in out['variants']]
        print(f"| {args.batch_size} x {row['size'][0]}x{row['size'][1]} | "
              + ' | '.join(cells) + ' |', flush=True)


def print_compare_row(row: dict, args) -> None:
    ours, peer = row['ours'], row['peer']
    megapixels = args.batch_size * row['size'][0] * row['size'][1] / 1e6
    mem = ours['median_peak_mb']
    per_mpx = fmt(mem and mem / megapixels, '.0f')
    print(f"{row['kind']:>8} {args.mode} {args.dtype} "
          f"{args.batch_size}x{row['size'][0]}x{row['size'][1]}: "
          f"ours {ours['median_s']:.3f} s (min {ours['min_s']:.3f}), "
          f"{args.compare} {peer['median_s']:.3f} s (min "
          f"{peer['min_s']:.3f}) -> {row['ratio']:.2f}x; call peak "
          f"RSS ours {fmt(mem, '.0f')} MB ({per_mpx} MB/Mpx), "
          f"{args.compare} {fmt(peer['median_peak_mb'], '.0f')} "
          f"MB (ours/peer {fmt(row['memory_ratio'], '.2f')}); outputs "
          f"differ by {row['max_rel_diff']:.1e} (max rel)", flush=True)


def record_memory(result: dict, device: torch.device, before) -> None:
    peak = peak_rss_bytes()
    result['rss_before_mb'] = before / MB if before else None
    result['peak_rss_mb'] = peak / MB if peak else None
    if device.type == 'cuda':
        result['peak_allocated_mb'] = \
            torch.cuda.max_memory_allocated(device) / MB


def fmt(value, spec: str = '.3g') -> str:
    if value is None:
        return 'n/a'
    return format(value, spec)


def print_table(result: dict) -> None:
    rows = [('config', result['config']), ('mode', result['mode']),
            ('threads / device', f"{result['threads']} / {result['device']}"),
            ('cpu', result['cpu'])]
    if result['mode'] in ('train', 'infer'):
        rows += [
            ('arch / encoder', f"{result['arch']} / "
             f"{'trained' if result['train_encoder'] else 'frozen'}"),
            ('dtype', result['dtype']),
            ('batch x size', f"{result['batch_size']} x "
             f"{result['size'][0]}x{result['size'][1]}"),
            ('switches', ', '.join(result['switches']) or 'none'),
            ('glibc malloc tuned', 'yes' if result['malloc_tuned'] else 'no'),
            ('median s / iter', fmt(result.get('median_s'), '.3f')),
            ('images/s', fmt(result.get('images_per_s'), '.3f')),
            ('GFLOPs forward (batch)',
             fmt(result['flops_forward'] / 1e9, '.1f')),
        ]
        if result['mode'] == 'train':
            rows.append(('GFLOPs step (3x forward)',
                         f"{result['flops_step'] / 1e9:.1f} "
                         f"({result['flops_step_3x_forward'] / 1e9:.1f})"))
            if result['flops_step_executed'] != result['flops_step']:
                rows.append(('GFLOPs executed (recompute)',
                             f"{result['flops_step_executed'] / 1e9:.1f}"))
            with_data = result.get('with_data', {})
            note = with_data.get('reason') or 'loader input {}x{}'.format(
                *with_data.get('input_size', ('?', '?')))
            rows.append(('images/s with data',
                         f"{fmt(with_data.get('images_per_s'), '.3f')} "
                         f'({note})'))
        rows += [
            ('achieved GFLOP/s', fmt(result['achieved_flops'] / 1e9, '.1f')),
            ('matmul peak GFLOP/s', fmt(result['peak_flops'] / 1e9, '.1f')),
            ('MFU', f"{100 * result['mfu']:.1f} %"),
            ('peak RSS MB', fmt(result.get('peak_rss_mb'), '.0f')),
        ]
        if 'peak_allocated_mb' in result:
            rows.append(('peak allocated MB',
                         fmt(result['peak_allocated_mb'], '.0f')))
    else:
        rows.append(('samples/s per worker',
                     fmt(result.get('samples_per_s_per_worker'), '.2f') +
                     (f" ({result['reason']})" if result.get('reason') else
                      '')))
    rows.append(('load avg before/after',
                 f"{fmt(result['load_before'], '.2f')} / "
                 f"{fmt(result.get('load_after'), '.2f')}"))
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f'{key:<{width}}  {value}')
    if result.get('profile'):
        print(result['profile'])


def main(argv=None) -> int:
    args = parse_args(argv)
    malloc_tuned = False if args.no_malloc_tuning else tune_malloc()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device or (
        'cuda' if torch.cuda.is_available() else 'cpu'))
    dtype = DTYPES[args.dtype]
    cfg = load_config(args)
    switches = [name for name, on in (
        ('train-encoder', args.train_encoder), ('with-cp', args.with_cp),
        ('compile', args.compile), ('channels-last', args.channels_last),
        ('fused-adamw', args.fused_adamw),
        ('low-precision-logits', args.low_precision_logits))
        if on]
    result = dict(
        config=args.config, mode=args.mode, dtype=args.dtype,
        batch_size=args.batch_size, size=list(args.size),
        arch=cfg.model.backbone.get('arch'),
        train_encoder=not cfg.model.backbone.get('frozen', False),
        switches=switches, malloc_tuned=malloc_tuned,
        threads=torch.get_num_threads(), cpu=cpu_info().describe(),
        device=str(device), iters=args.iters, warmup=args.warmup,
        torch=torch.__version__, machine=platform.processor() or
        platform.machine(), load_before=load_average(),
        command='python ' + ' '.join([osp.relpath(sys.argv[0])] +
                                     sys.argv[1:]))
    sides = args.sizes or args.size
    if args.mode != 'data' and any(s % 14 for s in sides):
        print(f"--size{'s' if args.sizes else ''} {list(sides)}: sides "
              'must be multiples of 14', file=sys.stderr)
        return 2
    if args.compare:
        run_compare(cfg, args, device, dtype, result)
    elif args.backend:
        run_backends(cfg, args, device, result)
    elif args.mode == 'data':
        run_data(cfg, args, result)
    else:
        peak = (args.peak_gflops * 1e9 if args.peak_gflops else
                matmul_peak_flops(dtype, device))
        model = build_model(cfg, args, device)
        result['params_m'] = sum(p.numel() for p in model.parameters()) / 1e6
        runner = run_train if args.mode == 'train' else run_infer
        runner(cfg, args, model, device, dtype, result)
        result['peak_flops'] = peak
        result['mfu'] = result['achieved_flops'] / peak
    result['load_after'] = load_average()
    if args.compare or args.backend:
        print(f"cpu {result['cpu']}, {result['threads']} threads, load "
              f"{fmt(result['load_before'], '.2f')} -> "
              f"{fmt(result['load_after'], '.2f')}")
    else:
        print_table(result)
    if args.json:
        with open(args.json, 'w') as f:
            json.dump({k: v for k, v in result.items() if k != 'profile'},
                      f, indent=2)
    return 0


if __name__ == '__main__':
    sys.exit(main())
