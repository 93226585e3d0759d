"""PyTorch eager against ONNX Runtime on the same exported graph, one run.

The model is exported once with dynamic height and width
(:func:`~da2zoe.apis.export.export_onnx`), quantised to int8 weights
(:func:`~da2zoe.apis.export.quantize_onnx_dynamic`), and at every size the
variants are called alternately on the same [0, 1] image: PyTorch float32
(the graph's own module, :class:`~da2zoe.apis.export.DepthExportModule`),
PyTorch bf16 autocast (only where the CPU has native bf16, else left out
and said so), ONNX Runtime float32 and int8
(:class:`~da2zoe.apis.onnx_backend.OnnxDepther`). Each variant's depth is
compared with PyTorch float32's.
"""
import os.path as osp
import tempfile
from collections.abc import Sequence

import torch
from mmengine.config import Config
from torch import nn

from da2zoe.analysis.cpu import cpu_info
from da2zoe.analysis.peer_compare import interleaved
from .export import DepthExportModule, export_onnx, quantize_onnx_dynamic
from .onnx_backend import OnnxDepther

VARIANTS = ('torch_fp32', 'torch_bf16', 'onnxruntime_fp32',
            'onnxruntime_int8')


def _relative_error(depth: torch.Tensor, reference: torch.Tensor) -> dict:
    """Mean and max |depth - reference| / reference."""
    error = (depth.float() - reference).abs() / reference.abs().clamp_min(
        1e-6)
    return dict(mean_rel_error=float(error.mean()),
                max_rel_error=float(error.max()))


def benchmark_backends(model: nn.Module, cfg: Config,
                       sizes: Sequence[tuple],
                       batch_size: int = 1, iters: int = 5,
                       warmup: int = 2, threads: int | None = None,
                       int8: bool = True) -> dict:
    """Latency of each variant at each size, interleaved.

    Args:
        model (nn.Module): A float32 ``MetricDepther`` on the CPU.
        cfg (Config): Its config (the ONNX Runtime side's preprocessor).
        sizes (Sequence[tuple]): (H, W) pairs, multiples of 14.
        batch_size (int): Images per call. Defaults to 1.
        iters (int): Timed rounds per size. Defaults to 5.
        warmup (int): Untimed rounds per size. Defaults to 2.
        threads (int | None): ONNX Runtime intra-op threads (PyTorch's are
            set by the caller). Defaults to None: torch's thread count.
        int8 (bool): Include the int8 (dynamic quantisation) variant.
            Defaults to True.

    Returns:
        dict: ``variants`` (those run), ``left_out`` (variant -> why),
        ``rows`` (per size: ``size`` and per variant the
        :meth:`~da2zoe.analysis.peer_compare.CallStats.summary` plus
        ``speedup`` vs torch_fp32 and its depth error vs torch_fp32).
    """
    threads = threads or torch.get_num_threads()
    model = model.eval()
    graph = DepthExportModule(model).eval()
    left_out = {}
    if not cpu_info().native_bf16:
        left_out['torch_bf16'] = ('no native bf16 on this CPU (it would '
                                  'be slower than fp32, not a speed-up)')
    if not int8:
        left_out['onnxruntime_int8'] = 'not asked for'
    with tempfile.TemporaryDirectory() as folder:
        fp32_file = export_onnx(model, osp.join(folder, 'model.onnx'),
                                size=sizes[0], dynamic=True)
        runners = dict(onnxruntime_fp32=OnnxDepther(
            fp32_file, config=cfg, threads=threads))
        if int8:
            int8_file = quantize_onnx_dynamic(
                fp32_file, osp.join(folder, 'model_int8.onnx'))
            runners['onnxruntime_int8'] = OnnxDepther(
                int8_file, config=cfg, threads=threads)
        rows = [_one_size(graph, runners, size, batch_size, iters, warmup,
                          left_out) for size in sizes]
    variants = [v for v in VARIANTS if v not in left_out]
    return dict(variants=variants, left_out=left_out, rows=rows,
                onnx_threads=threads)


def _one_size(graph: nn.Module, runners: dict, size: tuple,
              batch_size: int, iters: int, warmup: int,
              left_out: dict) -> dict:
    gen = torch.Generator().manual_seed(0)
    # (image,) or (image, focal) for a canonical-camera model.
    inputs = graph.example_inputs(torch.rand(batch_size, 3, *size,
                                             generator=gen))
    arrays = [x.numpy() for x in inputs]

    def torch_call(bf16: bool):
        def call():
            with torch.no_grad(), torch.autocast(
                    'cpu', dtype=torch.bfloat16, enabled=bf16):
                return graph.depth(*inputs)
        return call

    calls = dict(torch_fp32=torch_call(False), torch_bf16=torch_call(True))
    for name, runner in runners.items():
        calls[name] = (lambda r: lambda: torch.from_numpy(r.run(*arrays)))(
            runner)
    calls = {k: v for k, v in calls.items() if k not in left_out}
    reference = calls['torch_fp32']().float()
    errors = {k: _relative_error(fn(), reference) for k, fn in calls.items()}
    stats = interleaved(calls, iters, warmup, torch.device('cpu'))
    base = stats['torch_fp32']['median_s']
    row = dict(size=list(size))
    for name, summary in stats.items():
        row[name] = dict(summary, speedup=base / summary['median_s'],
                         **errors[name])
    return row
