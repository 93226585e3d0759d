"""Draws depth panels during training, validation and testing."""
import os.path as osp
from typing import Optional, Sequence

import torch
from mmengine.dist import is_main_process
from mmengine.hooks import Hook

from da2zoe.registry import HOOKS
from da2zoe.visualization.depth_visualizer import make_depth_panels, write_rgb


def _inputs_of(data_batch: dict) -> Sequence[torch.Tensor]:
    inputs = data_batch['inputs']
    return list(inputs) if isinstance(inputs, torch.Tensor) else inputs


@HOOKS.register_module()
class DepthVisualizationHook(Hook):
    """Sends image | GT | prediction | abs-rel panels to the visualizer.

    - Training: every ``interval`` iterations the first sample of the batch
      is predicted (eval mode, no gradients) and drawn as ``train_depth``.
    - Validation: the first sample of the first batch of every validation
      run is drawn as ``val_depth`` at the current training iteration.
    - Testing: with ``test_out_dir`` set (what ``tools/test.py --show-dir``
      sets), every sample's panels are written there as
      ``<index>_<image stem>.png``; a relative folder lives in the run's log
      folder (``work_dir/<timestamp>``).

    A :class:`DepthVisualizer` draws the panels with its colormap settings;
    any other visualizer gets default panels. Either way they reach the
    vis backends through ``add_image``.

    Args:
        draw (bool): Master switch; False draws nothing. Defaults to True.
        interval (int): Training iterations between drawings; 0 turns the
            training drawings off. Defaults to 500.
        draw_val (bool): Draw during validation. Defaults to True.
        test_out_dir (str, optional): Folder for test panels. Defaults to
            None (nothing drawn while testing).
    """

    priority = 'NORMAL'

    def __init__(self,
                 draw: bool = True,
                 interval: int = 500,
                 draw_val: bool = True,
                 test_out_dir: Optional[str] = None) -> None:
        self.draw = draw
        self.interval = interval
        self.draw_val = draw_val
        self.test_out_dir = test_out_dir
        self._out_dir: Optional[str] = None
        self._num_tested = 0

    @staticmethod
    def _panels(runner, image, sample):
        """Panels drawn by the runner's visualizer when it knows depth."""
        visualizer = runner.visualizer
        if hasattr(visualizer, 'draw_depth_sample'):
            return visualizer.draw_depth_sample(image, sample)
        return make_depth_panels(
            image,
            pred_depth=getattr(sample, 'pred_depth', None),
            gt_depth=getattr(sample, 'gt_depth', None),
            gt_mask=getattr(sample, 'gt_mask', None))

    def _draw(self, runner, name: str, image, sample, step: int) -> None:
        runner.visualizer.add_image(
            name, self._panels(runner, image, sample), step=step)

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: Optional[dict] = None,
                         outputs: Optional[dict] = None) -> None:
        """Predicts and draws the batch's first sample every ``interval``."""
        if (not self.draw or not self.interval or data_batch is None
                or not self.every_n_train_iters(runner, self.interval)
                or not is_main_process()):
            return
        first = dict(
            inputs=_inputs_of(data_batch)[:1],
            data_samples=data_batch['data_samples'][:1])
        model = runner.model
        was_training = model.training
        model.eval()
        try:
            with torch.no_grad():
                sample = model.val_step(first)[0]
        finally:
            model.train(was_training)
        self._draw(runner, 'train_depth', first['inputs'][0], sample,
                   runner.iter + 1)

    def after_val_iter(self,
                       runner,
                       batch_idx: int,
                       data_batch: Optional[dict] = None,
                       outputs: Optional[Sequence] = None) -> None:
        """Draws the first validation sample of the run."""
        if (not self.draw or not self.draw_val or batch_idx != 0 or not outputs
                or data_batch is None or not is_main_process()):
            return
        self._draw(runner, 'val_depth', _inputs_of(data_batch)[0],
                   outputs[0], runner.iter)

    def before_test(self, runner) -> None:
        """Resolves a relative ``test_out_dir`` against the log folder."""
        self._num_tested = 0
        self._out_dir = self.test_out_dir if self.draw else None
        if self._out_dir and not osp.isabs(self._out_dir):
            self._out_dir = osp.join(runner.log_dir, self._out_dir)

    def after_test_iter(self,
                        runner,
                        batch_idx: int,
                        data_batch: Optional[dict] = None,
                        outputs: Optional[Sequence] = None) -> None:
        """Writes every sample's panels to ``test_out_dir``."""
        if not self._out_dir or not outputs or data_batch is None:
            return
        for image, sample in zip(_inputs_of(data_batch), outputs):
            path = sample.metainfo.get('img_path') or 'sample'
            stem = osp.splitext(osp.basename(str(path)))[0]
            # Ranks number their samples independently: keep them apart.
            rank = f'rank{runner.rank}_' if getattr(
                runner, 'world_size', 1) > 1 else ''
            name = f'{rank}{self._num_tested:06d}_{stem}.png'
            self._num_tested += 1
            write_rgb(
                osp.join(self._out_dir, name),
                self._panels(runner, image, sample))
