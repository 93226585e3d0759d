"""One-cycle learning rate that keeps each parameter group's own peak."""
import math
from typing import List, Optional, Sequence, Union

from mmengine.optim.scheduler.lr_scheduler import LRSchedulerMixin
from mmengine.optim.scheduler.param_scheduler import INF, _ParamScheduler

from da2zoe.registry import PARAM_SCHEDULERS


class GroupOneCycleParamScheduler(_ParamScheduler):
    """One-cycle schedule whose peak is each group's configured value.

    MMEngine's ``OneCycleParamScheduler`` gives every group the same
    ``eta_max`` and so drops the lower encoder learning rate set by
    ``DepthOptimWrapperConstructor``. Here the peak of group ``i`` is its own
    initial value (``eta_max=None``) or ``eta_max[i]``, so the ratio between
    groups holds at every step. The schedule follows ``torch``'s
    ``OneCycleLR``:

    - phase 1 (``pct_start`` of ``total_steps``): ``peak / div_factor`` to
      ``peak``;
    - phase 2: ``peak`` to ``peak / div_factor / final_div_factor``;
    - with ``three_phase``: up, back down to ``peak / div_factor`` over the
      same length, then to the minimum.

    ZoeDepth's NYU recipe (flat 70 %, then cosine to 1/1e4) is
    ``pct_start=0.7, div_factor=1, final_div_factor=1e4``. Steps past
    ``total_steps`` keep the minimum. The state dict holds numbers and
    strings only (no functions), so checkpoints load with
    ``weights_only=True``.

    Args:
        optimizer (Optimizer | OptimWrapper): The wrapped optimiser.
        param_name (str): Parameter to schedule.
        eta_max (float | Sequence[float], optional): Peak per group; None
            (default) uses each group's value when the scheduler is built.
        total_steps (int, optional): Cycle length; defaults to
            ``end - begin``.
        pct_start (float): Share of the cycle spent rising. Defaults to 0.3.
        anneal_strategy (str): ``'cos'`` or ``'linear'``. Defaults to 'cos'.
        div_factor (float): ``peak / start``. Defaults to 25.
        final_div_factor (float): ``start / minimum``. Defaults to 1e4.
        three_phase (bool): Use the three-phase variant. Defaults to False.
        begin (int): First step. Defaults to 0.
        end (int): Step after the last one. Defaults to INF.
        last_step (int): For resuming without a state dict. Defaults to -1.
        by_epoch (bool): Step per epoch (True) or per iteration.
        verbose (bool): Print each update. Defaults to False.
    """

    def __init__(self,
                 optimizer,
                 param_name: str,
                 eta_max: Union[None, float, Sequence[float]] = None,
                 total_steps: Optional[int] = None,
                 pct_start: float = 0.3,
                 anneal_strategy: str = 'cos',
                 div_factor: float = 25.,
                 final_div_factor: float = 1e4,
                 three_phase: bool = False,
                 begin: int = 0,
                 end: int = INF,
                 last_step: int = -1,
                 by_epoch: bool = True,
                 verbose: bool = False):
        if total_steps is None:
            if end == INF:
                raise ValueError('GroupOneCycle needs total_steps or end')
            total_steps = end - begin
        if not isinstance(total_steps, int) or total_steps <= 0:
            raise ValueError(
                f'total_steps must be a positive int, got {total_steps}')
        if not 0. <= float(pct_start) <= 1.:
            raise ValueError(f'pct_start must be in [0, 1], got {pct_start}')
        if anneal_strategy not in ('cos', 'linear'):
            raise ValueError("anneal_strategy must be 'cos' or 'linear', got "
                             f'{anneal_strategy!r}')
        if div_factor <= 0 or final_div_factor <= 0:
            raise ValueError('div_factor and final_div_factor must be > 0')
        self.total_steps = total_steps
        self.pct_start = float(pct_start)
        self.anneal_strategy = anneal_strategy
        self.div_factor = float(div_factor)
        self.final_div_factor = float(final_div_factor)
        self.three_phase = three_phase
        groups = optimizer.param_groups
        if eta_max is None:
            # An earlier scheduler (warm-up) may have changed the value
            # already; ``initial_<name>`` keeps the configured one.
            peaks = [
                g.get(f'initial_{param_name}', g[param_name]) for g in groups
            ]
        elif isinstance(eta_max, (list, tuple)):
            if len(eta_max) != len(groups):
                raise ValueError(f'eta_max has {len(eta_max)} values for '
                                 f'{len(groups)} parameter groups')
            peaks = list(eta_max)
        else:
            raise TypeError('eta_max must be None (each group keeps its own '
                            'peak) or one value per group')
        self.peak_values: List[float] = [float(p) for p in peaks]
        super().__init__(
            optimizer=optimizer,
            param_name=param_name,
            begin=begin,
            end=end,
            last_step=last_step,
            by_epoch=by_epoch,
            verbose=verbose)

    def _phases(self) -> List[tuple]:
        """``(end_step, start_key, end_key)``; keys: 'start', 'peak', 'min'."""
        rise_end = self.pct_start * self.total_steps - 1
        last = self.total_steps - 1
        if self.three_phase:
            return [(rise_end, 'start', 'peak'),
                    (2 * self.pct_start * self.total_steps - 2, 'peak',
                     'start'), (last, 'start', 'min')]
        return [(rise_end, 'start', 'peak'), (last, 'peak', 'min')]

    def _anneal(self, start: float, end: float, pct: float) -> float:
        pct = min(max(pct, 0.), 1.)
        if self.anneal_strategy == 'cos':
            return end + (start - end) / 2. * (math.cos(math.pi * pct) + 1)
        return start + (end - start) * pct

    def _value_at(self, peak: float, step: int) -> float:
        values = dict(peak=peak, start=peak / self.div_factor)
        values['min'] = values['start'] / self.final_div_factor
        phases = self._phases()
        start_step = 0.
        for i, (end_step, start_key, end_key) in enumerate(phases):
            if step <= end_step or i == len(phases) - 1:
                span = end_step - start_step
                pct = (step - start_step) / span if span > 0 else 1.
                return self._anneal(values[start_key], values[end_key], pct)
            start_step = end_step
        raise AssertionError('unreachable')

    def _get_value(self) -> List[float]:
        return [
            self._value_at(peak, self.last_step) for peak in self.peak_values
        ]

    @classmethod
    def build_iter_from_epoch(cls,
                              *args,
                              begin=0,
                              end=INF,
                              total_steps=None,
                              by_epoch=True,
                              epoch_length=None,
                              **kwargs):
        """Builds the iteration-based equivalent of an epoch-based config
        (``convert_to_iter_based=True``)."""
        assert by_epoch, 'only epoch-based configs can be converted'
        assert epoch_length is not None and epoch_length > 0, \
            f'epoch_length must be a positive int, got {epoch_length}'
        begin = int(begin * epoch_length)
        if end != INF:
            end = int(end * epoch_length)
        if total_steps is not None:
            total_steps = total_steps * epoch_length
        return cls(
            *args,
            begin=begin,
            end=end,
            total_steps=total_steps,
            by_epoch=False,
            **kwargs)


@PARAM_SCHEDULERS.register_module()
class GroupOneCycleLR(LRSchedulerMixin, GroupOneCycleParamScheduler):
    """One-cycle learning rate keeping each group's own peak (and so the
    encoder/decoder ratio). See :class:`GroupOneCycleParamScheduler`.

    Example (ZoeDepth NYU: flat 70 %, cosine down to 1/1e4, per iteration):
        >>> param_scheduler = dict(
        ...     type='GroupOneCycleLR', pct_start=0.7, div_factor=1,
        ...     final_div_factor=1e4, by_epoch=True, begin=0, end=5,
        ...     convert_to_iter_based=True)
    """
