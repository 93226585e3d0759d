"""One-cycle learning rate that keeps each parameter group's own peak."""
from typing import List, Optional, Sequence

from mmengine.optim import OneCycleLR
from mmengine.optim.scheduler.param_scheduler import INF

from da2zoe.registry import PARAM_SCHEDULERS


@PARAM_SCHEDULERS.register_module()
class GroupOneCycleLR(OneCycleLR):
    """MMEngine's ``OneCycleLR`` with each group's own peak learning rate.

    Given one ``eta_max``, MMEngine gives every group the same peak and so
    drops the lower encoder learning rate set by
    ``DepthOptimWrapperConstructor``. Here the peak of group ``i`` is its
    configured learning rate (``eta_max=None``) or ``eta_max[i]``, so the
    ratio between groups holds at every step. Two more differences: steps
    past the cycle keep its minimum (MMEngine raises, or overshoots on the
    last step), and the state dict holds numbers and strings only, so
    checkpoints load with ``torch.load(weights_only=True)``.

    ZoeDepth's NYU recipe (flat 70 %, then cosine to 1/1e4) is
    ``pct_start=0.7, div_factor=1, final_div_factor=1e4``.

    Args:
        optimizer (Optimizer | OptimWrapper): The wrapped optimiser.
        eta_max (Sequence[float], optional): Peak per group; None (default)
            uses each group's learning rate when the scheduler is built.
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

    Example (ZoeDepth NYU: flat 70 %, cosine down to 1/1e4, per iteration):
        >>> param_scheduler = dict(
        ...     type='GroupOneCycleLR', pct_start=0.7, div_factor=1,
        ...     final_div_factor=1e4, by_epoch=True, begin=0, end=5,
        ...     convert_to_iter_based=True)
    """

    def __init__(self,
                 optimizer,
                 eta_max: Optional[Sequence[float]] = None,
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
                 verbose: bool = False) -> None:
        if total_steps is None and end == INF:
            raise ValueError('GroupOneCycleLR needs total_steps or end')
        if div_factor <= 0 or final_div_factor <= 0:
            raise ValueError('div_factor and final_div_factor must be > 0')
        groups = optimizer.param_groups
        if eta_max is None:
            # An earlier scheduler (warm-up) may have changed the value
            # already; ``initial_lr`` keeps the configured one.
            eta_max = [g.get('initial_lr', g['lr']) for g in groups]
        elif not isinstance(eta_max, (list, tuple)):
            raise TypeError('eta_max must be None (each group keeps its own '
                            'peak) or one value per group')
        self.peak_values: List[float] = [float(p) for p in eta_max]
        self.anneal_strategy = anneal_strategy
        super().__init__(
            optimizer,
            eta_max=self.peak_values,
            total_steps=total_steps,
            pct_start=float(pct_start),
            anneal_strategy=anneal_strategy,
            div_factor=div_factor,
            final_div_factor=final_div_factor,
            three_phase=three_phase,
            begin=begin,
            end=end,
            last_step=last_step,
            by_epoch=by_epoch,
            verbose=verbose)

    def _get_value(self) -> List[float]:
        """The one-cycle value; the minimum once the cycle is over."""
        if self.last_step >= self.total_steps - 1:
            return [group['min_lr'] for group in self.optimizer.param_groups]
        return super()._get_value()

    def state_dict(self) -> dict:
        """The state without ``anneal_func``: a function, which the
        weights-only loader refuses; ``anneal_strategy`` names it."""
        state = super().state_dict()
        state.pop('anneal_func', None)
        return state

    def load_state_dict(self, state_dict: dict) -> None:
        """Loads a state and re-binds the annealing function it names.

        Args:
            state_dict (dict): From :meth:`state_dict`.
        """
        super().load_state_dict(state_dict)
        self.anneal_func = getattr(self, f'_annealing_{self.anneal_strategy}')
