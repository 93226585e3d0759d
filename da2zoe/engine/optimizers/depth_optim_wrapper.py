"""Optimiser wrapper that skips updates with a non-finite loss."""
import logging
import math
from typing import Dict, List, Optional, Sequence

import torch
import torch.distributed as dist
from mmengine.logging import print_log
from mmengine.optim import OptimWrapper

from da2zoe.registry import OPTIM_WRAPPERS


class NonFiniteGuardMixin:
    """Skips parameter updates whose loss (or clipped grad norm) is not finite.

    Mixed into :class:`DepthOptimWrapper` and ``DepthAmpOptimWrapper``. When
    the total loss of an iteration is NaN or infinite, the update is skipped:
    no optimiser step, gradients zeroed (with gradient accumulation, the
    gradients gathered so far in the current window are dropped), and a
    warning names the batch's samples when :class:`NonFiniteLossHook` has
    handed them over. After ``max_consecutive_nonfinite`` skipped iterations
    in a row a ``RuntimeError`` stops training.

    With ``clip_grad`` set (norm clipping) and no fp16 loss scaler, a
    non-finite gradient norm also skips the step: clipping cannot repair it.
    (A loss scaler already skips such steps and lowers its scale.)

    Under distributed training the finite flag is reduced over all ranks so
    that every rank skips the same iteration; the skipped iteration still
    runs ``backward`` so that DDP's gradient reduction stays in step, and
    its gradients are then discarded.

    Attributes:
        last_step_skipped (bool): Whether the last ``update_params`` skipped.
        consecutive_nonfinite (int): Skipped iterations in a row.
        total_nonfinite (int): Skipped iterations since the wrapper was built.
        batch_sample_names (list[str] | None): Set by
            :class:`NonFiniteLossHook` before each iteration.
    """

    def _init_guard(self, skip_nonfinite: bool,
                    max_consecutive_nonfinite: Optional[int]) -> None:
        if max_consecutive_nonfinite is not None and \
                max_consecutive_nonfinite < 1:
            raise ValueError('max_consecutive_nonfinite must be >= 1 or None, '
                             f'got {max_consecutive_nonfinite}')
        self.skip_nonfinite = skip_nonfinite
        self.max_consecutive_nonfinite = max_consecutive_nonfinite
        self.last_step_skipped = False
        self.consecutive_nonfinite = 0
        self.total_nonfinite = 0
        self.batch_sample_names: Optional[List[str]] = None

    # The loss scaler handles non-finite gradients itself.
    def _guards_grad_norm(self) -> bool:
        return self.skip_nonfinite

    def set_batch_sample_names(self, names: Optional[Sequence[str]]) -> None:
        """Remembers the current batch's sample names for the skip warning."""
        self.batch_sample_names = None if names is None else list(names)

    def update_params(  # type: ignore[override]
            self,
            loss: torch.Tensor,
            step_kwargs: Optional[Dict] = None,
            zero_kwargs: Optional[Dict] = None) -> None:
        """Backward, step and zero grads, or skip when the loss is not finite.

        Args:
            loss (torch.Tensor): The total loss.
            step_kwargs (dict, optional): For ``optimizer.step``.
            zero_kwargs (dict, optional): For ``optimizer.zero_grad``.
        """
        self.last_step_skipped = False
        if not self.skip_nonfinite or self._all_ranks_finite(loss):
            super().update_params(loss, step_kwargs, zero_kwargs)
            if not self.last_step_skipped:
                self.consecutive_nonfinite = 0
            return
        if dist.is_available() and dist.is_initialized() and \
                dist.get_world_size() > 1:
            # Keep DDP's reducer in step on every rank; grads are dropped.
            self.backward(self.scale_loss(loss))
        else:
            self._inner_count += 1
        self.zero_grad(**(zero_kwargs or {}))
        self._record_skip('loss', loss)

    def _all_ranks_finite(self, loss: torch.Tensor) -> bool:
        finite = bool(torch.isfinite(loss.detach()).all())
        if dist.is_available() and dist.is_initialized() and \
                dist.get_world_size() > 1:
            flag = torch.tensor(
                1 if finite else 0, dtype=torch.int32, device=loss.device)
            dist.all_reduce(flag, op=dist.ReduceOp.MIN)
            finite = bool(flag.item())
        return finite

    def _record_skip(self, what: str, value: torch.Tensor) -> None:
        """Counts a skipped update and warns, naming the culprit samples.

        Under DDP every rank skips together but only rank 0's warning is
        shown: the ranks' values and sample names are gathered first (a
        rare path), so the warning names the rank whose loss was not
        finite, not rank 0's finite loss and samples.

        Args:
            what (str): ``'loss'`` or ``'gradient norm'``.
            value (Tensor): This rank's value of it.
        """
        self.last_step_skipped = True
        self.consecutive_nonfinite += 1
        self.total_nonfinite += 1
        mine = (bool(torch.isfinite(value.detach()).all()), _describe(value),
                self.batch_sample_names)
        ranks = [mine]
        if dist.is_available() and dist.is_initialized() and \
                dist.get_world_size() > 1:
            ranks = [None] * dist.get_world_size()
            dist.all_gather_object(ranks, mine)
        where = _where(what, ranks)
        head = f'{what} {mine[1]}' if len(ranks) == 1 else what
        limit = self.max_consecutive_nonfinite
        message = (f'Non-finite {head}: skipped this update '
                   f'({self.consecutive_nonfinite} in a row'
                   f'{f" of at most {limit}" if limit else ""}, '
                   f'{self.total_nonfinite} in total){where}')
        print_log(message, logger='current', level=logging.WARNING)
        if limit is not None and self.consecutive_nonfinite >= limit:
            raise RuntimeError(
                f'{self.consecutive_nonfinite} consecutive iterations had a '
                f'non-finite {what}{where}. Training stops '
                'here: lower the learning rate, enable gradient clipping '
                '(optim_wrapper.clip_grad), check these samples, or raise '
                'optim_wrapper.max_consecutive_nonfinite.')

    def _total_grad_norm(self) -> torch.Tensor:
        """The 2-norm of this rank's gradients (0 without any), unclipped.

        Only computed when nothing else checks the gradients: with norm
        clipping the clipped norm is checked, with a loss scaler the scaler
        skips. One extra read of the gradients per step.
        """
        params = [p for group in self.optimizer.param_groups
                  for p in group['params']]
        grads = [p.grad for p in params if p.grad is not None]
        if not grads:
            device = params[0].device if params else torch.device('cpu')
            return torch.zeros((), device=device)
        return torch.nn.utils.get_total_norm(grads, 2.0)

    def _clip_grad(self) -> Optional[float]:
        """Clips like ``OptimWrapper`` (logging ``grad_norm``) and returns the
        total norm, or None for value clipping or no gradients."""
        params = [
            p for group in self.optimizer.param_groups for p in group['params']
            if p.requires_grad and p.grad is not None
        ]
        if not params:
            return None
        grad = self.clip_func(params, **self.clip_grad_kwargs)
        if grad is None:
            return None
        value = float(grad)
        self.message_hub.update_scalar(f'train/{self.grad_name}', value)
        return value

    def step(self, **kwargs) -> None:
        """Clips gradients, then steps unless the grad norm is not finite.

        A finite loss can still give a NaN or infinite gradient (a square
        root at 0, an overflow in backward): without norm clipping the norm
        is computed for the check alone, so such a step is skipped too
        instead of writing NaN into every weight.
        """
        norm = self._clip_grad() if self.clip_grad_kwargs else None
        if self._guards_grad_norm():
            if norm is not None:  # the global norm (sharded clip under FSDP)
                finite, value = math.isfinite(norm), torch.tensor(norm)
            else:  # no clipping, or value clipping
                # Under FSDP each rank holds other shards: every rank must
                # take the same decision, so the flag is reduced.
                value = self._total_grad_norm()
                finite = self._all_ranks_finite(value)
            if not finite:
                self._record_skip('gradient norm', value)
                return
        self.optimizer.step(**kwargs)

    def get_lr(self) -> Dict[str, List[float]]:
        """Learning rates: MMEngine's ``lr`` (and ``base_lr``) plus
        ``<name>_lr`` for each named parameter group, so the logger shows
        every group (e.g. ``encoder_lr``, ``decoder_lr``; keys ending in
        ``lr`` are printed in the log's lr section)."""
        res = super().get_lr()
        for group in self.optimizer.param_groups:
            name = group.get('name')
            if name:
                res.setdefault(f'{name}_lr', [group['lr']])
        return res


def _describe(loss: torch.Tensor) -> str:
    value = loss.detach().float()
    return f'({value.item() if value.numel() == 1 else value.tolist()})'


def _where(what: str, ranks: List[tuple]) -> str:
    """``'; samples: ...'`` for one process; per rank under DDP.

    Args:
        what (str): ``'loss'`` or ``'gradient norm'``.
        ranks (list[tuple]): ``(finite, value text, sample names)`` of each
            rank. A loss is each rank's own: only the non-finite ranks are
            named. A gradient is all-reduced: every rank's batch is a
            suspect.
    """
    if len(ranks) == 1:
        names = ranks[0][2]
        return f'; samples: {", ".join(map(str, names))}' if names else ''
    parts = []
    for rank, (finite, text, names) in enumerate(ranks):
        if what == 'loss' and finite:
            continue
        samples = f' samples {", ".join(map(str, names))}' if names else ''
        parts.append(f'rank {rank} {what} {text}{samples}')
    return '; ' + '; '.join(parts)


@OPTIM_WRAPPERS.register_module()
class DepthOptimWrapper(NonFiniteGuardMixin, OptimWrapper):
    """MMEngine's ``OptimWrapper`` with the non-finite loss guard and one
    learning-rate log entry per named parameter group (``<name>_lr``).

    Gradient accumulation (``accumulative_counts``) and clipping
    (``clip_grad``, logged as ``grad_norm``) behave as in ``OptimWrapper``.

    Args:
        optimizer (torch.optim.Optimizer): The optimiser.
        accumulative_counts (int): Iterations per update. Defaults to 1.
        clip_grad (dict, optional): ``clip_grad_norm_`` (default) or
            ``clip_grad_value_`` (``type='value'``) arguments.
        skip_nonfinite (bool): Skip updates with a non-finite loss.
            Defaults to True.
        max_consecutive_nonfinite (int, optional): Skipped iterations in a
            row before a ``RuntimeError``; None for no limit. Defaults to 10.
    """

    def __init__(self,
                 optimizer: torch.optim.Optimizer,
                 accumulative_counts: int = 1,
                 clip_grad: Optional[dict] = None,
                 skip_nonfinite: bool = True,
                 max_consecutive_nonfinite: Optional[int] = 10) -> None:
        super().__init__(
            optimizer=optimizer,
            accumulative_counts=accumulative_counts,
            clip_grad=clip_grad)
        self._init_guard(skip_nonfinite, max_consecutive_nonfinite)
