"""Names the samples of a batch whose loss was not finite."""
import math
from typing import List, Optional, Sequence, Union

import torch
from mmengine.hooks import Hook

from da2zoe.registry import HOOKS

DATA_BATCH = Optional[Union[dict, tuple, list]]


def batch_sample_names(
    data_batch: DATA_BATCH, keys: Sequence[str] = ('img_path', )) -> List[str]:
    """The first of ``keys`` found in each sample's metainfo.

    Accepts a collated batch ``dict(inputs=..., data_samples=[...])`` whose
    samples are ``DepthDataSample``/``BaseDataElement`` or dicts.

    Args:
        data_batch: The batch the data loader gave.
        keys (Sequence[str]): Metainfo keys to try, in order.

    Returns:
        list[str]: One name per sample ('?' when none of the keys is there).
    """
    if not isinstance(data_batch, dict):
        return []
    samples = data_batch.get('data_samples') or []
    names = []
    for sample in samples:
        meta = sample if isinstance(sample, dict) else getattr(
            sample, 'metainfo', {})
        name = next((meta[k] for k in keys if meta.get(k) is not None), '?')
        names.append(str(name))
    return names


@HOOKS.register_module()
class NonFiniteLossHook(Hook):
    """Hands each batch's sample names to the optimiser wrapper.

    The wrapper (``DepthOptimWrapper``/``DepthAmpOptimWrapper`` with
    ``skip_nonfinite=True``) skips an update whose loss is NaN or infinite
    and logs the names given here; after the iteration this hook records
    the number of skipped iterations in the message hub (runtime info
    ``nonfinite_skips``, saved with checkpoints). The non-finite values of a
    skipped iteration are not logged as scalars (the wrapper's warning
    states them): in MMEngine's smoothing windows a NaN would show as
    ``nan`` in every later log line, and be saved into checkpoints and
    come back on resume. Under distributed training the warning names each
    rank whose loss was not finite, with its samples.

    Args:
        keys (Sequence[str]): Metainfo keys naming a sample, first found
            wins. Defaults to ``('img_path',)``.
    """

    # Runs before RuntimeInfoHook (VERY_HIGH), which turns the iteration's
    # outputs into the logged scalars, so a skipped step's NaN never
    # enters the ``train/loss`` window.
    priority = 'HIGHEST'

    def __init__(self, keys: Sequence[str] = ('img_path', )) -> None:
        self.keys = tuple(keys)

    def before_train(self, runner) -> None:
        """Drops the NaN ``train/skipped_*`` scalars that earlier versions
        logged, when resuming from their checkpoints."""
        scalars = runner.message_hub.log_scalars
        for key in [k for k in scalars if k.startswith('train/skipped_')]:
            del scalars[key]

    def before_train_iter(self,
                          runner,
                          batch_idx: int,
                          data_batch: DATA_BATCH = None) -> None:
        wrapper = runner.optim_wrapper
        if hasattr(wrapper, 'set_batch_sample_names'):
            wrapper.set_batch_sample_names(
                batch_sample_names(data_batch, self.keys))

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: DATA_BATCH = None,
                         outputs: Optional[dict] = None) -> None:
        wrapper = runner.optim_wrapper
        if getattr(wrapper, 'last_step_skipped', False):
            hub = runner.message_hub
            hub.update_info('nonfinite_skips',
                            hub.get_info('nonfinite_skips', 0) + 1)
            if isinstance(outputs, dict):
                drop_nonfinite(outputs)


def _is_finite(value) -> bool:
    if isinstance(value, torch.Tensor):
        return bool(torch.isfinite(value).all())
    if isinstance(value, (int, float)):
        return math.isfinite(value)
    return True


def drop_nonfinite(outputs: dict) -> None:
    """Removes the non-finite values from ``outputs``.

    Args:
        outputs (dict): An iteration's log variables, changed in place.
    """
    for key in [k for k, v in outputs.items() if not _is_finite(v)]:
        del outputs[key]
