"""Atomic latest/periodic/best checkpoints that ``Runner.resume`` restores."""
import logging
import math
import os
import os.path as osp
import time
from typing import Dict, List, Optional, Sequence, Union

import mmengine
from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.optim import BaseOptimWrapper
from mmengine.runner.checkpoint import weights_to_cpu
from mmengine.utils import apply_to, get_git_hash

from da2zoe.engine.checkpoint_io import (remove_stale_temp_files,
                                         save_checkpoint_atomic,
                                         write_text_atomic)
from da2zoe.registry import HOOKS

DATA_BATCH = Optional[Union[dict, tuple, list]]

LATEST = 'checkpoint_latest.pth'
BEST = 'checkpoint_best.pth'


def _to_cpu(state):
    return apply_to(state, lambda x: hasattr(x, 'cpu'), lambda x: x.cpu())


def build_training_checkpoint(runner,
                              meta: dict,
                              save_optimizer: bool = True,
                              save_param_scheduler: bool = True) -> dict:
    """The dict ``Runner.save_checkpoint`` would write, for ``Runner.resume``.

    Mirrors MMEngine 0.10's ``Runner.save_checkpoint``: ``meta`` (epoch,
    iter, cfg, seed, experiment name, time, version, dataset meta),
    ``state_dict``, ``message_hub``, ``optimizer`` and ``param_schedulers``,
    all on the CPU; then calls the ``before_save_checkpoint`` hooks.

    Args:
        runner (Runner): The runner.
        meta (dict): At least ``epoch`` and ``iter`` (the loop position a
            resumed run starts from).
        save_optimizer (bool): Include the optimiser wrapper's state.
        save_param_scheduler (bool): Include the schedulers' states.

    Returns:
        dict: The checkpoint.
    """
    meta = dict(meta)
    meta.update(
        cfg=runner.cfg.pretty_text,
        seed=runner.seed,
        experiment_name=runner.experiment_name,
        time=time.strftime('%Y%m%d_%H%M%S', time.localtime()),
        mmengine_version=mmengine.__version__ + get_git_hash())
    dataset = getattr(runner.train_dataloader, 'dataset', None)
    if hasattr(dataset, 'metainfo'):
        meta.update(dataset_meta=dataset.metainfo)
    model = runner.model.module if is_model_wrapper(
        runner.model) else runner.model
    checkpoint = dict(
        meta=meta,
        state_dict=weights_to_cpu(model.state_dict()),
        message_hub=_to_cpu(runner.message_hub.state_dict()))
    if save_optimizer:
        if not isinstance(runner.optim_wrapper, BaseOptimWrapper):
            raise TypeError('save_optimizer needs a built optim wrapper, got '
                            f'{type(runner.optim_wrapper)}')
        checkpoint['optimizer'] = _to_cpu(runner.optim_wrapper.state_dict())
    schedulers = runner.param_schedulers
    if save_param_scheduler and schedulers is not None:
        if isinstance(schedulers, dict):
            checkpoint['param_schedulers'] = {
                name: [s.state_dict() for s in group]
                for name, group in schedulers.items()
            }
        else:
            checkpoint['param_schedulers'] = [
                s.state_dict() for s in schedulers
            ]
    runner.call_hook('before_save_checkpoint', checkpoint=checkpoint)
    return checkpoint


@HOOKS.register_module()
class DepthCheckpointHook(Hook):
    """Saves ``checkpoint_latest.pth``, periodic and best checkpoints.

    Files, in ``save_dir`` (default: the runner's work dir):

    - ``checkpoint_latest.pth``: after every epoch (``by_epoch=True``) or
      every ``latest_interval`` iterations (default ``interval``), and again
      when a new best is found;
    - ``checkpoint_epoch_{N}.pth`` (``checkpoint_iter_{N}.pth`` when
      ``by_epoch=False``): every ``interval`` epochs (iterations) and at the
      end (``save_last``); only the newest ``max_keep_ckpts`` are kept;
    - ``checkpoint_best.pth``: when the ``save_best`` metric improves.

    Every file is written atomically (temp file, fsync, ``os.replace``,
    directory fsync): killing the process never leaves a broken file behind.
    Files saved at the same moment share their bytes (hard links), so the
    checkpoint is serialised once. ``last_checkpoint`` in the work dir (and in
    ``save_dir``) names the latest file, so ``resume=True`` (``--resume``)
    finds it. The content is what ``Runner.save_checkpoint`` writes
    (:func:`build_training_checkpoint`); ``Runner.resume`` restores model,
    optimiser (with loss scaler), schedulers, message hub, epoch and
    iteration exactly.

    Resuming an epoch-based run from a mid-epoch save (``latest_interval``
    with ``by_epoch=True``) repeats that epoch from its start, as MMEngine
    does; saves at epoch ends resume exactly.

    ``save_best`` names a metric key. If the evaluator's results have no such
    key, the first key ending in ``'/<save_best>'`` is used (e.g.
    ``'nyu/abs_rel'`` for ``save_best='abs_rel'``, in the order the metrics
    were returned); give the full key to pick one dataset. The best score
    and file are kept in the message hub and survive a resume.

    Args:
        interval (int): Periodic save interval in epochs (iterations when
            ``by_epoch=False``); <= 0 disables periodic files. Defaults to 1.
        by_epoch (bool): Count epochs or iterations. Defaults to True.
        save_dir (str, optional): Folder of the files. Defaults to the
            runner's work dir.
        max_keep_ckpts (int): Periodic files to keep; <= 0 keeps all.
            Defaults to -1.
        save_last (bool): Also write the periodic file at the end of
            training. Defaults to True.
        latest_interval (int, optional): Save ``checkpoint_latest.pth``
            every this many iterations (besides epoch ends when
            ``by_epoch=True``). Defaults to None: epoch ends only, or
            ``interval`` when ``by_epoch=False``.
        save_best (str, optional): Metric key for ``checkpoint_best.pth``.
        rule (str): ``'less'`` or ``'greater'`` is better. Defaults to
            ``'less'`` (``abs_rel``, ``rmse``, ...).
        save_optimizer (bool): Save optimiser state. Defaults to True.
        save_param_scheduler (bool): Save scheduler state. Defaults to True.
    """

    priority = 'VERY_LOW'  # after ParamSchedulerHook, like CheckpointHook

    def __init__(self,
                 interval: int = 1,
                 by_epoch: bool = True,
                 save_dir: Optional[str] = None,
                 max_keep_ckpts: int = -1,
                 save_last: bool = True,
                 latest_interval: Optional[int] = None,
                 save_best: Optional[str] = None,
                 rule: str = 'less',
                 save_optimizer: bool = True,
                 save_param_scheduler: bool = True) -> None:
        if rule not in ('less', 'greater'):
            raise ValueError(f"rule must be 'less' or 'greater', got {rule!r}")
        if latest_interval is not None and latest_interval < 1:
            raise ValueError('latest_interval must be >= 1 or None')
        self.interval = interval
        self.by_epoch = by_epoch
        self.save_dir = save_dir
        self.max_keep_ckpts = max_keep_ckpts
        self.save_last = save_last
        self.latest_interval = latest_interval
        if not by_epoch and latest_interval is None and interval > 0:
            self.latest_interval = interval
        self.save_best = save_best
        self.rule = rule
        self.save_optimizer = save_optimizer
        self.save_param_scheduler = save_param_scheduler
        self._warned_missing_metric = False

    # Paths --------------------------------------------------------------

    def _periodic_name(self, step: int) -> str:
        unit = 'epoch' if self.by_epoch else 'iter'
        return f'checkpoint_{unit}_{step}.pth'

    def before_train(self, runner) -> None:
        self.out_dir = osp.abspath(self.save_dir or runner.work_dir)
        if is_main_process():
            os.makedirs(self.out_dir, exist_ok=True)
            for path in remove_stale_temp_files(self.out_dir):
                print_log(
                    f'removed {path}, left by an interrupted save',
                    logger='current')
        print_log(
            f'Checkpoints will be saved to {self.out_dir}.', logger='current')

    # Triggers -----------------------------------------------------------

    def after_train_epoch(self, runner) -> None:
        if not self.by_epoch:
            return
        done = runner.epoch + 1
        periodic = self.interval > 0 and (done % self.interval == 0 or
                                          (self.save_last
                                           and done >= runner.max_epochs))
        self._save(
            runner,
            meta=dict(epoch=done, iter=runner.iter),
            periodic_step=done if periodic else None)

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: DATA_BATCH = None,
                         outputs: Optional[dict] = None) -> None:
        done = runner.iter + 1
        meta = dict(epoch=runner.epoch, iter=done)
        latest = bool(self.latest_interval) and done % self.latest_interval \
            == 0
        if self.by_epoch:
            # The epoch-end save follows right after the last iteration.
            if latest and not self.end_of_epoch(runner.train_dataloader,
                                                batch_idx):
                self._save(runner, meta=meta, periodic_step=None)
            return
        periodic = self.interval > 0 and (done % self.interval == 0 or
                                          (self.save_last
                                           and done >= runner.max_iters))
        if latest or periodic:
            self._save(
                runner, meta=meta, periodic_step=done if periodic else None)

    def after_val_epoch(self, runner, metrics: Optional[Dict] = None) -> None:
        if not self.save_best or not metrics:
            return
        if not isinstance(runner.optim_wrapper, BaseOptimWrapper):
            return  # validation outside training (runner.val())
        key = self._metric_key(metrics)
        if key is None:
            return
        score = float(metrics[key])
        hub = runner.message_hub
        best = hub.get_info('best_score')
        if math.isnan(score):
            print_log(
                f'{key} is NaN: best checkpoint not updated',
                logger='current',
                level=logging.WARNING)
            return
        better = best is None or (score < best
                                  if self.rule == 'less' else score > best)
        if not better:
            return
        hub.update_info('best_score', score)
        hub.update_info('best_metric', key)
        hub.update_info('best_ckpt', osp.join(self.out_dir, BEST))
        # Latest is rewritten too, so a resumed run knows the best score.
        self._save(
            runner,
            meta=dict(epoch=runner.epoch, iter=runner.iter),
            periodic_step=None,
            best=True)
        print_log(
            f'new best {key}={score:.4f} ({self.rule} is better): saved '
            f'{BEST}',
            logger='current')

    def _metric_key(self, metrics: Dict) -> Optional[str]:
        if self.save_best in metrics:
            return self.save_best
        suffix = '/' + self.save_best
        key = next((k for k in metrics if k.endswith(suffix)), None)
        if key is None and not self._warned_missing_metric:
            self._warned_missing_metric = True
            print_log(
                f'save_best={self.save_best!r}: no such metric among '
                f'{list(metrics)}; checkpoint_best.pth is not written',
                logger='current',
                level=logging.WARNING)
        return key

    # Saving -------------------------------------------------------------

    def _save(self,
              runner,
              meta: dict,
              periodic_step: Optional[int],
              best: bool = False) -> None:
        names: List[str] = [LATEST]
        removed: Sequence[str] = ()
        if periodic_step is not None:
            names.append(self._periodic_name(periodic_step))
            removed = self._update_kept(runner, names[-1])
        if best:
            names.append(BEST)
        latest_path = osp.join(self.out_dir, LATEST)
        runner.message_hub.update_info('last_ckpt', latest_path)
        if not is_main_process():
            return
        checkpoint = build_training_checkpoint(
            runner,
            meta,
            save_optimizer=self.save_optimizer,
            save_param_scheduler=self.save_param_scheduler)
        save_checkpoint_atomic(checkpoint,
                               [osp.join(self.out_dir, n) for n in names])
        for directory in {osp.abspath(runner.work_dir), self.out_dir}:
            write_text_atomic(latest_path,
                              osp.join(directory, 'last_checkpoint'))
        for name in removed:
            path = osp.join(self.out_dir, name)
            if osp.isfile(path):
                os.remove(path)
        print_log(
            f'saved {", ".join(names)} (epoch {meta["epoch"]}, iter '
            f'{meta["iter"]})',
            logger='current')

    def _update_kept(self, runner, name: str) -> List[str]:
        """Adds ``name`` to the kept periodic files; returns those to drop."""
        if self.max_keep_ckpts <= 0:
            return []
        hub = runner.message_hub
        kept = [k for k in hub.get_info('kept_checkpoints', []) if k != name]
        kept.append(name)
        dropped = kept[:-self.max_keep_ckpts]
        hub.update_info('kept_checkpoints', kept[-self.max_keep_ckpts:])
        return dropped
