"""Ours against a peer implementation of the same layers, in one process.

The peer is transformers' ``DepthAnythingForDepthEstimation`` loaded with
``from_pretrained`` from the folder our DINOv2 + ``DPTNeck`` pair exports to
(:func:`~da2zoe.checkpoint.hf_export.write_hf_depth_anything`): its config
and OUR weights, so both compute the same function on the same input (the
largest relative difference of the outputs is reported as the check); calls
alternate (ours, peer, ours, ...) so that the machine's drift hits both
alike, and each call's own peak RSS is read around it.
"""
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from da2zoe.checkpoint.hf_export import write_hf_depth_anything
from .benchmark import (
    current_rss_bytes,
    median,
    peak_rss_bytes,
    reset_peak_rss,
    synchronize,
)

PEERS = ('transformers', 'v1-reference')  # v1-reference: v1_reference.py
KINDS = ('metric', 'relative')


class DepthAnythingPeer(nn.Module):
    """transformers' Depth Anything as ``pixel_values -> (B, 1, H, W)``.

    Args:
        backbone (nn.Module): Our ``DINOv2`` (its weights are copied).
        neck (nn.Module): Our ``DPTNeck`` (``'sigmoid'``: the metric model,
            ``'relu'``: the relative one).

    Raises:
        ImportError: Without transformers, with how to get it.
        ValueError: For a pair transformers cannot express.
    """

    def __init__(self, backbone: nn.Module, neck: nn.Module) -> None:
        super().__init__()
        try:
            from transformers import DepthAnythingForDepthEstimation
        except ImportError as err:
            raise ImportError(
                '--compare transformers needs transformers (pinned in '
                'requirements/tests.txt: pip install -r '
                'requirements/tests.txt)') from err
        # Through the files a user would load (transformers 5 renames
        # tensors in memory; from_pretrained knows how).
        with tempfile.TemporaryDirectory() as folder:
            write_hf_depth_anything(backbone, neck, folder)
            self.model = DepthAnythingForDepthEstimation.from_pretrained(
                folder)
        attention = self.model.backbone.config._attn_implementation
        if attention != 'sdpa':
            raise ValueError(f'the transformers DINOv2 runs {attention!r} '
                             'attention, not SDPA as ours: no fair peer')

    def forward(self, inputs: Tensor) -> Tensor:
        return self.model(pixel_values=inputs).predicted_depth.unsqueeze(1)


class OurDepthAnything(nn.Module):
    """Our model as ``inputs -> (B, 1, H, W)``: the depther's tensor mode
    (metric), or backbone + neck ``rel_depth`` (relative)."""

    def __init__(self, depther: nn.Module, kind: str) -> None:
        super().__init__()
        self.depther, self.kind = depther, kind

    def forward(self, inputs: Tensor) -> Tensor:
        if self.kind == 'metric':
            return self.depther(inputs, mode='tensor')
        return self.depther.extract_feat(inputs)['rel_depth']


def check_same_layers(depther: nn.Module, kind: str, config: str) -> None:
    """Refuses a config whose layers the peer does not have.

    Args:
        depther (nn.Module): Our built model.
        kind (str): ``'metric'`` or ``'relative'``.
        config (str): Its config file, for the message.

    Raises:
        ValueError: Naming the config and what is different.
    """
    neck = type(getattr(depther, 'neck', None)).__name__
    head = type(getattr(depther, 'head', None)).__name__
    if neck != 'DPTNeck':
        raise ValueError(
            f'{config}: --compare transformers needs a DINOv2 + DPTNeck '
            f'config (transformers has no {neck}); use e.g. '
            'configs/da2-metric_vits_hypersim.py')
    if kind == 'metric' and head != 'DPTMetricHead':
        raise ValueError(
            f'{config}: the metric comparison needs DPTMetricHead (DA-V2 '
            f'metric, configs/da2-metric_*.py), this config has {head}; '
            'transformers has no ZoeDepth head on DINOv2 (use --peer-kinds '
            'relative for its encoder + DPT part)')


def l1_step(model: nn.Module, optimizer: torch.optim.Optimizer,
            inputs: Tensor, target: Tensor, autocast: Callable) -> None:
    """forward, L1 loss against ``target``, backward, optimiser step."""
    with autocast():
        pred = model(inputs)
    loss = F.l1_loss(pred.float(), target)
    loss.backward()
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)


@dataclass
class CallStats:
    """Per-call seconds and peak RSS above the RSS before the call."""

    times_s: list = field(default_factory=list)
    peak_mb: list = field(default_factory=list)

    def summary(self) -> dict:
        return dict(times_s=self.times_s, median_s=median(self.times_s),
                    min_s=min(self.times_s),
                    peak_mb=self.peak_mb,
                    median_peak_mb=median(self.peak_mb)
                    if self.peak_mb else None)


def interleaved(calls: dict[str, Callable[[], object]], iters: int,
                warmup: int, device: torch.device,
                memory_rounds: int = 1) -> dict[str, dict]:
    """Times ``calls`` alternately, ``warmup`` untimed rounds first, then
    reads each call's peak memory in rounds of its own.

    The timed rounds leave the allocator alone. Trimming the heap before a
    timed call (as the peak reading needs) makes the call fault its whole
    working set in again from the kernel, which charges the side with more
    memory per call (the V1 reference: about 5 GB per training step) for
    page faults instead of for its arithmetic.

    Args:
        calls (dict[str, Callable]): Name -> call without arguments.
        iters (int): Timed rounds (each call once per round).
        warmup (int): Untimed rounds.
        device (torch.device): Synchronised around each call.
        memory_rounds (int): Untimed rounds after the timed ones, each call
            once per round with the heap trimmed and ``VmHWM`` reset before
            it. Defaults to 1.

    Returns:
        dict[str, dict]: Per name :meth:`CallStats.summary`.
    """
    for _ in range(warmup):
        for fn in calls.values():
            fn()
    stats = {name: CallStats() for name in calls}
    for _ in range(iters):
        for name, fn in calls.items():
            synchronize(device)
            start = time.perf_counter()
            fn()
            synchronize(device)
            stats[name].times_s.append(time.perf_counter() - start)
    for _ in range(memory_rounds):
        for name, fn in calls.items():
            reset = reset_peak_rss()
            before = current_rss_bytes()
            fn()
            synchronize(device)
            peak = peak_rss_bytes()
            if reset and peak and before:
                stats[name].peak_mb.append((peak - before) / 2**20)
    return {name: s.summary() for name, s in stats.items()}


def max_relative_difference(ours: Tensor, peer: Tensor) -> float:
    """max |ours - peer| / max |peer| (the check that the layers match)."""
    scale = peer.abs().max().clamp_min(1e-12)
    return float((ours.float() - peer.float()).abs().max() / scale)


def compare(ours: nn.Module, peer: nn.Module, mode: str, inputs: Tensor,
            target: Tensor, iters: int, warmup: int, autocast: Callable,
            device: torch.device, fused: bool = True) -> dict:
    """One interleaved comparison of ``ours`` and ``peer``.

    Args:
        ours (nn.Module): ``inputs -> (B, 1, H, W)``.
        peer (nn.Module): The same, the peer's implementation.
        mode (str): ``'infer'`` (``no_grad``, eval mode) or ``'train'``
            (:func:`l1_step` with AdamW on every trainable parameter).
        inputs (Tensor): Normalised images (B, 3, H, W), fed to both.
        target (Tensor): Depth (B, 1, H, W) of the training loss.
        iters (int): Timed rounds.
        warmup (int): Untimed rounds.
        autocast (Callable): Returns the autocast context of the dtype.
        device (torch.device): Where both run.
        fused (bool): ``AdamW(fused=True)`` for both. Defaults to True.

    Returns:
        dict: ``ours`` / ``peer`` (:meth:`CallStats.summary`), ``ratio``
        (peer median time / ours: > 1 means ours is faster),
        ``memory_ratio`` (ours / peer median call peak) and
        ``max_rel_diff`` of the eval-mode outputs.
    """
    models = dict(ours=ours, peer=peer)
    with torch.no_grad(), autocast():
        outs = [m.eval()(inputs) for m in models.values()]
    diff = max_relative_difference(*outs)
    del outs
    if mode == 'infer':
        def make(model):
            def call():
                with torch.no_grad(), autocast():
                    model(inputs)
            return call
        calls = {name: make(m) for name, m in models.items()}
    else:
        def make(model):
            params = [p for p in model.parameters() if p.requires_grad]
            optimizer = torch.optim.AdamW(params, lr=1e-6,
                                          fused=True if fused else None)
            return lambda: l1_step(model, optimizer, inputs, target,
                                   autocast)
        calls = {name: make(m.train()) for name, m in models.items()}
    result = interleaved(calls, iters, warmup, device, memory_rounds=2)
    ours_s, peer_s = result['ours'], result['peer']
    result.update(
        ratio=peer_s['median_s'] / ours_s['median_s'],
        memory_ratio=(ours_s['median_peak_mb'] / peer_s['median_peak_mb']
                      if ours_s['median_peak_mb'] and
                      peer_s['median_peak_mb'] else None),
        max_rel_diff=diff)
    return result
