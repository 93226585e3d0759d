"""MMEngine's ``CheckpointHook`` with atomic files and fixed names."""
import logging
import math
import os
import os.path as osp
from typing import Dict, Optional, Union

from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook
from mmengine.logging import print_log
from mmengine.optim import BaseOptimWrapper

from da2zoe.checkpoint import (
    ATOMIC_BACKEND,
    link_atomic,
    remove_stale_temp_files,
    without_history_functions,
    write_text_atomic,
)
from da2zoe.evaluation.metric_direction import direction
from da2zoe.registry import HOOKS

DATA_BATCH = Optional[Union[dict, tuple, list]]

LATEST = 'checkpoint_latest.pth'
BEST = 'checkpoint_best.pth'


def best_rule(save_best: Optional[str], rule: Optional[str]) -> str:
    """The ``rule`` of ``save_best``: given, or from the metric's name.

    Args:
        save_best (str, optional): The metric key, e.g. ``'abs_rel'``,
            ``'nyu/d1'``; None saves no best.
        rule (str, optional): ``'less'``, ``'greater'`` or None.

    Returns:
        str: ``'less'`` or ``'greater'``.

    Raises:
        ValueError: A rule other than the two, a rule against the known
            direction of ``save_best``, or no rule for a metric whose
            direction is unknown.
    """
    if rule not in (None, 'less', 'greater'):
        raise ValueError(f"rule must be 'less' or 'greater', got {rule!r}")
    if not save_best:
        return rule or 'less'
    known = {'lower': 'less', 'higher': 'greater'}.get(direction(save_best))
    if rule is None and known is None:
        raise ValueError(
            f'save_best={save_best!r}: unknown metric direction; give '
            "rule='less' or rule='greater' to DepthCheckpointHook")
    if rule is not None and known is not None and rule != known:
        raise ValueError(
            f'save_best={save_best!r} is better when {known}, but '
            f'rule={rule!r}: the "best" checkpoint would be the worst. '
            'Drop rule (it follows the metric) or fix it')
    return rule or known


@HOOKS.register_module()
class DepthCheckpointHook(CheckpointHook):
    """Saves ``checkpoint_latest.pth``, periodic and best checkpoints.

    Files, in ``save_dir`` (default: the runner's work dir):

    - ``checkpoint_epoch_{N}.pth`` (``checkpoint_iter_{N}.pth`` when
      ``by_epoch=False``): MMEngine's periodic checkpoint, every ``interval``
      epochs (iterations) and at the end (``save_last``); only the newest
      ``max_keep_ckpts`` are kept;
    - ``checkpoint_latest.pth``: with every periodic file, after every epoch
      (``by_epoch=True``) and every ``latest_interval`` iterations (default
      ``interval`` when ``by_epoch=False``), and with every new best;
    - ``checkpoint_best.pth``: when the ``save_best`` metric improves.

    What MMEngine's hook does is kept: the triggers, ``max_keep_ckpts`` (its
    ``keep_ckpt_ids`` in the message hub), the best score in the message hub
    (``best_score``, ``best_ckpt``), and the checkpoint content, built by
    ``Runner.save_checkpoint`` (``Runner.resume`` restores model, optimiser
    with loss scaler, schedulers, message hub, epoch and iteration exactly).
    What this subclass changes is only how a file is written and named:

    - Bytes go through MMEngine's file backend, here an atomic one
      (:class:`~da2zoe.checkpoint.AtomicLocalBackend`: temp file, fsync,
      rename, folder fsync), so a killed run never leaves a broken file.
      The message hub is written without the ``HistoryBuffer`` functions
      (:func:`~da2zoe.checkpoint.without_history_functions`), so the file
      loads under the weights-only allow list.
      (MMEngine serialises into memory first: a save holds up to twice the
      checkpoint's size in extra host memory.)
    - ``checkpoint_latest.pth`` and ``checkpoint_best.pth`` are hard links
      to the file just written: one serialisation per save. ``best`` is one
      fixed name replaced atomically (MMEngine deletes the previous best,
      then writes ``best_<metric>_epoch_<N>.pth``) and holds the full
      training state, like ``latest``.
    - ``last_checkpoint``, in the work dir and ``save_dir``, names
      ``checkpoint_latest.pth`` and is written atomically. (MMEngine first
      writes the work dir's one in place, naming the periodic file; it is
      replaced at once.)
    - ``save_dir`` is used as given (MMEngine's ``out_dir`` would get a
      sub-folder named after the work dir).

    Resuming an epoch-based run from a mid-epoch save (``latest_interval``
    with ``by_epoch=True``) repeats that epoch from its start, as MMEngine
    does; saves at epoch ends resume exactly.

    ``save_best`` names a metric key. If the evaluator's results have no such
    key, the first key ending in ``'/<save_best>'`` is used (e.g.
    ``'nyu/abs_rel'`` for ``save_best='abs_rel'``, in the order the metrics
    were returned; the key used is ``best_metric`` in the message hub); give
    the full key to pick one dataset. A NaN score is logged and ignored.

    Args:
        interval (int): Periodic save interval in epochs (iterations when
            ``by_epoch=False``); <= 0 disables periodic files, the last one
            included. Defaults to 1.
        by_epoch (bool): Count epochs or iterations. Defaults to True.
        save_dir (str, optional): Folder of the files. Defaults to the
            runner's work dir.
        max_keep_ckpts (int): Periodic files to keep, the newest; <= 0
            keeps all. Defaults to 3: a vitl file with its AdamW state is
            about 4 GB, so keeping all of a 20-epoch run's files would take
            80 GB. ``checkpoint_latest.pth`` and ``checkpoint_best.pth``
            are kept regardless (hard links survive the periodic file).
        save_last (bool): Also write the periodic file at the end of
            training. Defaults to True.
        latest_interval (int, optional): Save ``checkpoint_latest.pth``
            every this many iterations (besides epoch ends when
            ``by_epoch=True``). Defaults to None: epoch ends only, or
            ``interval`` when ``by_epoch=False``.
        save_best (str, optional): Metric key for ``checkpoint_best.pth``.
        rule (str, optional): ``'less'`` or ``'greater'`` is better.
            Defaults to None: from the metric's name
            (:func:`~da2zoe.evaluation.metric_direction.direction`: less for
            ``abs_rel``, ``rmse``, ..., greater for ``d1``, ``acc``, ...).
            A rule that contradicts a known metric's direction is refused:
            it would keep the worst checkpoint as the best.
        save_optimizer (bool): Save optimiser state. Defaults to True.
        save_param_scheduler (bool): Save scheduler state. Defaults to True.
    """

    def __init__(self,
                 interval: int = 1,
                 by_epoch: bool = True,
                 save_dir: Optional[str] = None,
                 max_keep_ckpts: int = 3,
                 save_last: bool = True,
                 latest_interval: Optional[int] = None,
                 save_best: Optional[str] = None,
                 rule: Optional[str] = None,
                 save_optimizer: bool = True,
                 save_param_scheduler: bool = True) -> None:
        rule = best_rule(save_best, rule)
        if latest_interval is not None and latest_interval < 1:
            raise ValueError('latest_interval must be >= 1 or None')
        unit = 'epoch' if by_epoch else 'iter'
        super().__init__(
            interval=interval,
            by_epoch=by_epoch,
            save_optimizer=save_optimizer,
            save_param_scheduler=save_param_scheduler,
            max_keep_ckpts=max_keep_ckpts,
            save_last=save_last and interval > 0,
            save_best=save_best,
            rule=rule,
            filename_tmpl=f'checkpoint_{unit}_{{}}.pth',
            backend_args=dict(backend=ATOMIC_BACKEND))
        self.save_dir = save_dir
        if not by_epoch and latest_interval is None and interval > 0:
            latest_interval = interval
        self.latest_interval = latest_interval
        self._saved = False
        self._warned_missing_metric = False

    def before_train(self, runner) -> None:
        """Lets MMEngine restore its state, then sets the folder as given.

        Args:
            runner (Runner): The runner.
        """
        self.out_dir = None  # MMEngine would nest a given one under work_dir
        super().before_train(runner)
        self.out_dir = osp.abspath(self.save_dir or runner.work_dir)
        if self.save_dir:
            runner.logger.info(f'{type(self).__name__} saves to '
                               f'{self.out_dir} (save_dir).')
        if is_main_process():
            os.makedirs(self.out_dir, exist_ok=True)
            for path in remove_stale_temp_files(self.out_dir):
                runner.logger.info(
                    f'removed {path}, left by an interrupted save')

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        """Drops the message hub buffers' functions from what is written.

        Args:
            runner (Runner): The runner.
            checkpoint (dict): What ``Runner.save_checkpoint`` writes.
        """
        checkpoint['message_hub'] = without_history_functions(
            checkpoint['message_hub'])

    # Triggers: MMEngine's, plus the latest-only saves --------------------

    def after_train_epoch(self, runner) -> None:
        """MMEngine's periodic save, else ``checkpoint_latest.pth`` alone.

        Args:
            runner (Runner): The runner.
        """
        self._saved = False
        super().after_train_epoch(runner)
        if self.by_epoch and not self._saved:
            self._save_latest(runner, dict(epoch=runner.epoch + 1,
                                           iter=runner.iter))

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: DATA_BATCH = None,
                         outputs: Optional[dict] = None) -> None:
        """MMEngine's periodic save, and every ``latest_interval`` latest.

        Args:
            runner (Runner): The runner.
            batch_idx (int): Index of the batch in the epoch.
            data_batch (dict | tuple | list, optional): The batch.
            outputs (dict, optional): The model's outputs.
        """
        self._saved = False
        super().after_train_iter(runner, batch_idx, data_batch, outputs)
        if (self._saved or not self.latest_interval
                or not self.every_n_train_iters(runner, self.latest_interval)):
            return
        if self.by_epoch and self.end_of_epoch(runner.train_dataloader,
                                               batch_idx):
            return  # the epoch-end save follows right after
        self._save_latest(runner, dict(epoch=runner.epoch,
                                       iter=runner.iter + 1))

    # Writing ---------------------------------------------------------------

    def _save_checkpoint_with_step(self, runner, step: int,
                                   meta: dict) -> None:
        """MMEngine's periodic save (name, kept files), then latest.

        Args:
            runner (Runner): The runner.
            step (int): Epoch or iteration the file is named after.
            meta (dict): ``epoch`` and ``iter`` of the checkpoint.
        """
        super()._save_checkpoint_with_step(runner, step, meta)
        self._saved = True
        self._publish_latest(runner, self.last_ckpt)

    def _save_latest(self, runner, meta: dict) -> None:
        """Writes ``checkpoint_latest.pth`` alone.

        Args:
            runner (Runner): The runner.
            meta (dict): ``epoch`` and ``iter`` of the checkpoint.
        """
        self._write(runner, LATEST, meta)
        self._publish_latest(runner, osp.join(self.out_dir, LATEST))

    def _write(self, runner, filename: str, meta: dict) -> None:
        """Has the runner build and write the checkpoint (main process).

        Args:
            runner (Runner): The runner.
            filename (str): Name in ``out_dir``.
            meta (dict): ``epoch`` and ``iter`` of the checkpoint.
        """
        runner.save_checkpoint(
            self.out_dir,
            filename,
            save_optimizer=self.save_optimizer,
            save_param_scheduler=self.save_param_scheduler,
            meta=meta,
            by_epoch=self.by_epoch,
            backend_args=self.backend_args)

    def _publish_latest(self, runner, path: str) -> None:
        """Makes ``path`` the latest checkpoint and names it for resuming.

        Args:
            runner (Runner): The runner.
            path (str): The checkpoint just written.
        """
        latest = osp.join(self.out_dir, LATEST)
        runner.message_hub.update_info('last_ckpt', latest)
        if not is_main_process():
            return
        link_atomic(path, latest)
        for directory in {osp.abspath(runner.work_dir), self.out_dir}:
            write_text_atomic(latest, osp.join(directory, 'last_checkpoint'))

    # Best ------------------------------------------------------------------

    def _save_best_checkpoint(self, runner, metrics: Dict) -> None:
        """Writes ``checkpoint_best.pth`` (and latest) on a better score.

        MMEngine's rule and message hub keys, our file name and writer.

        Args:
            runner (Runner): The runner.
            metrics (dict): The evaluator's results.
        """
        if not self.save_best or not isinstance(runner.optim_wrapper,
                                                BaseOptimWrapper):
            return  # validation outside training (runner.val())
        key = self._metric_key(metrics)
        if key is None:
            return
        score = float(metrics[key])
        if math.isnan(score):
            print_log(
                f'{key} is NaN: best checkpoint not updated',
                logger='current',
                level=logging.WARNING)
            return
        rule = self.rules[0]
        hub = runner.message_hub
        best = hub.get_info('best_score', self.init_value_map[rule])
        if not self.rule_map[rule](score, best):
            return
        self.best_ckpt_path = osp.join(self.out_dir, BEST)
        hub.update_info('best_score', score)
        hub.update_info('best_metric', key)
        hub.update_info('best_ckpt', self.best_ckpt_path)
        # Latest shares the file, so a resumed run knows the best score.
        self._write(runner, BEST, dict(epoch=runner.epoch, iter=runner.iter))
        self._publish_latest(runner, self.best_ckpt_path)
        runner.logger.info(f'new best {key}={score:.4f} ({rule} is better): '
                           f'saved {BEST}')

    def _metric_key(self, metrics: Dict) -> Optional[str]:
        """The key of ``metrics`` that ``save_best`` names, if any.

        Args:
            metrics (dict): The evaluator's results.

        Returns:
            str | None: ``save_best`` itself, else the first key ending in
            ``'/<save_best>'``; None (warned once) when there is neither.
        """
        wanted = self.save_best[0]
        if wanted in metrics:
            return wanted
        key = next((k for k in metrics if k.endswith('/' + wanted)), None)
        if key is None and not self._warned_missing_metric:
            self._warned_missing_metric = True
            print_log(
                f'save_best={wanted!r}: no such metric among '
                f'{list(metrics)}; {BEST} is not written',
                logger='current',
                level=logging.WARNING)
        return key
