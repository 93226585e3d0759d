"""Metric depth for images, folders, globs and videos: the body of
``python tools/infer.py CONFIG CHECKPOINT INPUT [--out-dir DIR] [options]``.

For every input picture (video frames are named ``<stem>_<frame:06d>``) it
writes, as chosen with ``--save``:

- ``png16``: ``<name>_depth.png``, 16-bit millimetres (rounded, clipped to
  65535; 0 means invalid);
- ``npy``: ``<name>_depth.npy``, float32 metres;
- ``color``: ``<name>_depth_color.png``, colourised depth at the input's size
  with the range drawn inside (``--side-by-side``: input and depth, twice the
  width);
- ``ply``: ``<name>_points.ply``, the coloured point cloud (needs
  ``--intrinsics`` or ``--hfov``; see :mod:`da2zoe.apis.pointcloud` for
  the pixel convention).

- ``video``: ``<video stem>_depth.mp4`` (``--video-format avi``), the colour
  depth of each video, camera or frame folder in one colour range.

``--vis overlay,error,anaglyph,panel`` also writes ``<name>_<kind>.png``
(:mod:`da2zoe.apis.vis_outputs`): depth blended over the image, abs-rel
error against ``--gt`` (a file, or a folder of ``<name>.png|.npy``), a
red-cyan anaglyph, image | (GT |) depth (| error) panels.

INPUT may also be a camera index (``0``, ``camera:0``; ``--max-frames``).
``--temporal-smoothing STRENGTH`` (videos, cameras, frame folders) averages
each frame's aligned depth with the previous output on unchanged pixels
(:mod:`da2zoe.apis.temporal`); the saved depth is the smoothed one. A
sequence that breaks off (unreadable, size change) is named with its frame
index, its earlier frames are kept, and the exit status is 1.

``--intrinsics`` / ``--hfov`` also give a model with a canonical camera
(``model.camera``) the focal its prediction is rescaled by.
``--align-sparse FILE|DIR`` fits each prediction's scale (``--align-shift``:
and shift) robustly to known depths: a ``.npy`` sparse map (0 = unknown) or
``row col depth`` points (``.npy`` or text), one file for every input or a
folder of ``<name>.npy`` / ``<name>.txt``; the fit is printed per image.

Unreadable inputs are reported and skipped; the exit status is 1 only when
nothing could be processed.
"""
import argparse
import os.path as osp
import sys
import time
from typing import List, Optional

import cv2
import torch
from mmengine.config import DictAction
from tqdm import tqdm

from da2zoe.analysis.cpu import choose_bf16
from da2zoe.analysis.malloc import tune_malloc
from da2zoe.apis import inference, init_model
from da2zoe.apis.align import align_to_sparse, load_sparse
from da2zoe.apis.depth_outputs import (
    OUTPUT_KINDS,
    ColorStyle,
    save_outputs,
    save_sky_mask,
)
from da2zoe.apis.pointcloud import intrinsics_from_hfov
from da2zoe.apis.prediction_kind import (
    DISPARITY,
    METRIC,
    RELATIVE_DEPTH,
    prediction_kind,
)
from da2zoe.apis.sources import (
    Frame,
    collect_sources,
    count_frames,
    iter_frames,
)
from da2zoe.apis.video import SequenceOutputs
from da2zoe.apis.vis_outputs import (
    VIS_KINDS,
    VisStyle,
    find_gt,
    load_gt,
    parse_vis,
    save_visuals,
)
from da2zoe.structures.patch_grid import check_multiple_of_14


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """The command line of ``tools/infer.py``.

    Args:
        argv (list[str], optional): Arguments without the program name;
            ``sys.argv[1:]`` if None.
    """
    parser = argparse.ArgumentParser(
        allow_abbrev=False,
        description='Predict metric depth for images, folders, globs or '
        'videos')
    parser.add_argument('config', help='config file')
    parser.add_argument(
        'checkpoint', help='checkpoint (any layout), or MODEL.onnx with '
        '--backend onnxruntime')
    parser.add_argument(
        '--backend', choices=('pytorch', 'onnxruntime'), default='pytorch',
        help='onnxruntime: run an export of tools/deployment/export_onnx.py'
        ' (same pipeline, resize rules and outputs)')
    parser.add_argument(
        'input', help='an image, a folder, a glob pattern or a video')
    parser.add_argument(
        '--out-dir', default='work_dirs/infer', help='output folder')
    parser.add_argument(
        '--save', nargs='+', choices=OUTPUT_KINDS + ('video', ),
        help='outputs per image (default: png16 color; npy color for a '
        'relative model, whose values are not metres)')
    parser.add_argument(
        '--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument(
        '--input-size', type=int,
        help='lower bound of the shorter side, a multiple of 14 (default: '
        "config infer_size, else the test pipeline's resize bound, else 518)")
    parser.add_argument(
        '--process-res', type=int,
        help='longest side of the network input for a Depth Anything 3 '
        "config (default: its test pipeline's LongestSideResize, 504)")
    parser.add_argument(
        '--sky', action='store_true',
        help="also write <name>_sky.png (255 = sky) from the head's sky "
        'branch (Depth Anything 3 configs)')
    parser.add_argument(
        '--alpha', choices=('error', 'drop'), default='error',
        help='an image with an alpha channel (RGBA / grey+alpha PNG) is '
        "skipped with a message ('error', default) or read as its colour "
        "channels as stored ('drop')")
    parser.add_argument('--batch-size', type=int, default=4)
    parser.add_argument(
        '--flip', action='store_true', help='horizontal-flip TTA')
    parser.add_argument(
        '--bf16', action='store_true',
        help='bfloat16 autocast (on a CPU only with native bf16: AVX512-BF16 '
        'or AMX; elsewhere float32 unless --force)')
    parser.add_argument(
        '--force', action='store_true',
        help='with --bf16: use bf16 even on a CPU without native bf16')
    parser.add_argument('--vmin', type=float, help='colour range low end (m)')
    parser.add_argument('--vmax', type=float, help='colour range high end (m)')
    parser.add_argument('--cmap', default='turbo', help='matplotlib colormap')
    parser.add_argument(
        '--side-by-side', action='store_true',
        help='colour picture = [input | depth]')
    parser.add_argument(
        '--no-colorbar', action='store_true', help='no colour bar')
    parser.add_argument(
        '--vis', default='', metavar='KIND[,KIND...]',
        help='also write <name>_<kind>.png: ' + ', '.join(VIS_KINDS) +
        ' (error needs --gt)')
    parser.add_argument(
        '--gt', metavar='FILE|DIR',
        help='ground truth for --vis error/panel: a 16-bit mm PNG or a .npy '
        'of metres, or a folder of <name>.png/.npy')
    parser.add_argument('--overlay-alpha', type=float, default=0.5,
                        help='--vis overlay: weight of the depth colour')
    parser.add_argument('--error-vmax', type=float, default=0.25,
                        help='--vis error/panel: abs rel of the top colour')
    parser.add_argument(
        '--anaglyph-disparity', type=float, metavar='PX',
        help='--vis anaglyph: shift of the nearest depth (--vmin or the 2nd '
        'percentile) in pixels (default: 3%% of the width)')
    parser.add_argument(
        '--intrinsics', nargs=4, type=float, metavar=('FX', 'FY', 'CX', 'CY'),
        help='pinhole intrinsics of the input images, in pixels')
    parser.add_argument(
        '--hfov', type=float,
        help='horizontal field of view in degrees (principal point at the '
        'image centre), instead of --intrinsics')
    parser.add_argument(
        '--align-sparse', metavar='FILE|DIR',
        help='known depths to fit the scale to: .npy sparse map or row col '
        'depth points, or a folder of <name>.npy/.txt')
    parser.add_argument(
        '--align-shift', action='store_true',
        help='with --align-sparse: fit scale and shift')
    parser.add_argument(
        '--ply-format', choices=('binary', 'ascii'), default='binary')
    parser.add_argument(
        '--temporal-smoothing', type=float, default=0.0, metavar='STRENGTH',
        help='video / frame sequence: moving average of aligned depth on '
        'unchanged pixels, strength in [0, 1) (0 = off)')
    parser.add_argument(
        '--change-threshold', type=float, default=0.04,
        help='grey-level change (0-1) that resets a pixel\'s history')
    parser.add_argument(
        '--temporal-align', choices=('scale', 'scale_shift', 'none'),
        default='scale', help='scale_shift for relative-depth models')
    parser.add_argument('--video-format', choices=('mp4', 'avi'),
                        default='mp4', help='container of --save video')
    parser.add_argument('--fps', type=float,
                        help='depth video frame rate (default: the source)')
    parser.add_argument('--max-frames', type=int,
                        help='most frames per video / camera / sequence')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config keys')
    args = parser.parse_args(argv)
    if 'ply' in (args.save or ()) and args.intrinsics is None and (
            args.hfov is None):
        parser.error('--save ply needs --intrinsics FX FY CX CY or --hfov DEG')
    if args.intrinsics is not None and args.hfov is not None:
        parser.error('give --intrinsics or --hfov, not both')
    if args.align_shift and args.align_sparse is None:
        parser.error('--align-shift needs --align-sparse')
    if args.align_sparse is not None and not osp.exists(args.align_sparse):
        parser.error(f'--align-sparse {args.align_sparse!r} does not exist')
    if (args.backend == 'onnxruntime') != args.checkpoint.endswith('.onnx'):
        parser.error(f'--backend {args.backend} with checkpoint '
                     f'{args.checkpoint!r}: ONNX models (.onnx) need '
                     '--backend onnxruntime, and it needs one')
    if args.backend == 'onnxruntime' and args.bf16:
        parser.error('--bf16 is a PyTorch autocast; an ONNX model runs in '
                     'the precision it was exported in')
    if args.process_res is not None and args.process_res <= 0:
        parser.error(f'--process-res {args.process_res}: must be > 0')
    if args.input_size is not None:
        try:
            check_multiple_of_14(args.input_size, '--input-size')
        except ValueError as err:
            parser.error(str(err))
    try:
        args.vis = parse_vis(args.vis) if args.vis else []
    except ValueError as err:
        parser.error(str(err))
    if 'error' in args.vis and args.gt is None:
        parser.error('--vis error needs --gt FILE|DIR (the ground truth it '
                     'compares with)')
    if args.gt is not None and not osp.exists(args.gt):
        parser.error(f'--gt {args.gt!r} does not exist')
    if not 0 <= args.overlay_alpha <= 1 or not args.error_vmax > 0:
        parser.error('--overlay-alpha must be in [0, 1] and --error-vmax > 0')
    return args


class FrameRunner:
    """Runs batches of frames through the model and writes their outputs.

    Args:
        args (argparse.Namespace): The parsed command line.
    """

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.model = init_model(args.config, args.checkpoint, args.device,
                                args.cfg_options)
        self.sky_threshold = getattr(getattr(self.model, 'head', None),
                                     'sky_threshold', None)
        if args.sky and self.sky_threshold is None:
            raise ValueError(f'--sky: {args.config} has no sky branch (a '
                             'Depth Anything 3 head has one)')
        self.quantity = self._quantity(args)
        metric = self.quantity == 'depth'
        cmap = args.cmap
        if self.quantity == DISPARITY:  # near (large) drawn as near depth
            cmap = cmap[:-2] if cmap.endswith('_r') else cmap + '_r'
        self.style = ColorStyle(args.vmin, args.vmax, cmap,
                                not args.no_colorbar, args.side_by_side,
                                unit=' m' if metric else '')
        self.used_names = set()
        self.done = 0
        self.broken = 0  # sequences that broke off (named in the log)
        self.failed: List[str] = []
        self.sequences = SequenceOutputs(
            args.temporal_smoothing, args.change_threshold,
            args.temporal_align,
            args.out_dir if 'video' in args.save else None,
            args.video_format, args.fps, self.style)
        self.kinds = [k for k in args.save if k != 'video']
        self.vis_style = VisStyle(args.vmin, args.vmax, cmap,
                                  args.overlay_alpha, args.error_vmax,
                                  args.anaglyph_disparity)

    def _quantity(self, args: argparse.Namespace) -> str:
        """What the written maps hold, and ``args.save`` resolved for it.

        A relative model (its config's ``DepthMetric`` aligns or reads
        disparity) predicts no metres: its ``npy`` / ``color`` files are
        named for what they hold and metric outputs are refused, unless
        ``--align-sparse`` fits relative depth to known metres.
        """
        kind = prediction_kind(getattr(self.model, 'cfg', None))
        if kind == DISPARITY and args.align_sparse is not None:
            raise ValueError(f'--align-sparse fits depth, but {args.config} '
                             'predicts disparity (larger is nearer)')
        quantity = 'depth' if kind == METRIC or (
            args.align_sparse is not None) else kind
        if args.save is None:
            args.save = (['png16', 'color'] if quantity == 'depth' else
                         ['npy', 'color'])
        metres = [k for k in args.save if k in ('png16', 'ply')]
        if quantity != 'depth':
            if metres:
                hint = ('; --align-sparse fits it to known depths'
                        if kind == RELATIVE_DEPTH else '')
                raise ValueError(
                    f'--save {" ".join(metres)}: metric outputs, but '
                    f'{args.config} predicts {kind.replace("_", " ")} (its '
                    f'DepthMetric aligns it to the ground truth){hint}; '
                    'use npy, color or video')
            refused = [v for v in args.vis if v == 'error' or (
                v == 'panel' and args.gt is not None) or (
                v == 'anaglyph' and kind == DISPARITY)]
            if refused:
                why = ('abs rel against metric ground truth' if
                       refused[0] != 'anaglyph' else
                       'stereo shifts from depth (larger disparity is '
                       'nearer)')
                hint = ('; --align-sparse fits it to known depths first'
                        if kind == RELATIVE_DEPTH else '')
                raise ValueError(
                    f'--vis {refused[0]}: {why}, but {args.config} predicts '
                    f'{kind.replace("_", " ")}{hint}')
            print(f'{args.config} predicts {kind.replace("_", " ")}: the '
                  f'files hold unitless values (<name>_{kind}.npy)',
                  file=sys.stderr)
        return quantity

    def _intrinsics(self, height: int, width: int):
        if self.args.intrinsics is not None:
            return tuple(self.args.intrinsics)
        if self.args.hfov is not None:
            return intrinsics_from_hfov(self.args.hfov, height, width)
        return None

    def _cameras(self, frames: List[Frame]):
        """Per-frame cameras for ``inference`` (None without a flag)."""
        if self.args.intrinsics is None and self.args.hfov is None:
            return None
        return [self._intrinsics(*frame.image.shape[:2]) for frame in frames]

    def _align(self, frame: Frame, depth):
        """Fits ``depth`` to the frame's known depths (``--align-sparse``)."""
        path = self.args.align_sparse
        if path is None:
            return depth
        if osp.isdir(path):
            found = [osp.join(path, frame.name + ext)
                     for ext in ('.npy', '.txt', '.csv')]
            found = [p for p in found if osp.isfile(p)]
            if not found:
                raise ValueError(f'no {frame.name}.npy/.txt in {path!r}')
            path = found[0]
        aligned, fit = align_to_sparse(
            depth, load_sparse(path, depth.shape), shift=self.args.align_shift)
        tqdm.write(f'{frame.name}: scale {fit.scale:.4f} shift '
                   f'{fit.shift:.4f} m ({fit.num_inliers}/{fit.num_points} '
                   f'known depths kept) from {path}')
        return aligned

    def _unique(self, name: str) -> str:
        """Keeps two inputs with the same stem from overwriting each other."""
        candidate, n = name, 1
        while candidate in self.used_names:
            candidate, n = f'{name}_{n}', n + 1
        self.used_names.add(candidate)
        return candidate

    def fail(self, frame: Frame, reason: str) -> None:
        self.failed.append(frame.source)
        tqdm.write(f'skipped {frame.name}: {reason}', file=sys.stderr)

    def run_batch(self, frames: List[Frame]) -> None:
        args = self.args
        try:
            depths = inference(
                self.model, [frame.image for frame in frames],
                input_size=args.input_size,
                process_res=args.process_res,
                return_sky=args.sky,
                flip=True if args.flip else None,
                dtype=torch.bfloat16 if args.bf16 else None,
                batch_size=args.batch_size,
                intrinsics=self._cameras(frames))
        except Exception as err:  # one bad batch must not stop the run
            if len(frames) > 1:  # find the bad frame; keep the others
                for frame in frames:
                    self.run_batch([frame])
                return
            self.fail(frames[0], f'inference failed: {err}')
            return
        for frame, depth in zip(frames, depths):
            depth, sky = depth if args.sky else (depth, None)
            rgb = cv2.cvtColor(frame.image, cv2.COLOR_BGR2RGB)
            try:
                depth = self._align(frame, depth)
            except ValueError as err:
                self.fail(frame, f'--align-sparse: {err}')
                continue
            try:
                gt = (load_gt(find_gt(args.gt, frame.name), depth.shape)
                      if args.gt and args.vis else None)
            except ValueError as err:
                self.fail(frame, f'--gt: {err}')
                continue
            try:
                name = self._unique(frame.name)
                depth = self.sequences(frame, depth, rgb)
                save_outputs(
                    args.out_dir, name, depth, rgb,
                    self.kinds, self._intrinsics(*depth.shape),
                    ply_binary=args.ply_format == 'binary', style=self.style,
                    quantity=self.quantity)
                save_visuals(args.out_dir, name, depth, rgb, args.vis, gt,
                             self.vis_style)
                if sky is not None:
                    save_sky_mask(args.out_dir, name, sky, self.sky_threshold)
                self.done += 1
            except OSError as err:
                self.fail(frame, f'could not write outputs: {err}')


def main(argv: Optional[List[str]] = None) -> int:
    """Predicts and writes the outputs; the exit status.

    Args:
        argv (list[str], optional): Arguments without the program name.

    Returns:
        int: 0 when everything was processed, 1 when something failed or
        nothing could be processed, 2 for a model that cannot do what was
        asked.
    """
    args = parse_args(argv)
    if args.bf16:
        args.bf16, message = choose_bf16('--bf16', args.device, args.force)
        if message:
            print(message, file=sys.stderr)
    tune_malloc()  # keep activation pages between steps
    try:
        sources = collect_sources(args.input)
    except FileNotFoundError as err:
        print(err, file=sys.stderr)
        return 1
    if not sources:
        print(f'No images or videos found in {args.input!r}', file=sys.stderr)
        return 1
    try:
        runner = FrameRunner(args)
    except ValueError as err:  # e.g. --sky without a sky branch
        print(err, file=sys.stderr)
        return 2
    start = time.perf_counter()
    batch: List[Frame] = []
    sequence = args.input if (args.temporal_smoothing > 0
                              or 'video' in args.save) else None
    with tqdm(total=count_frames(sources, args.max_frames),
              unit='frame') as progress:
        frames = iter_frames(sources, sequence, args.max_frames, args.alpha)
        for frame in frames:
            runner.broken += frame.fatal
            if frame.image is None:
                runner.fail(frame, frame.error)
                progress.update(1)
                continue
            batch.append(frame)
            if len(batch) == args.batch_size:
                runner.run_batch(batch)
                progress.update(len(batch))
                batch = []
        if batch:
            runner.run_batch(batch)
            progress.update(len(batch))
    runner.sequences.close()
    elapsed = time.perf_counter() - start
    per_image = elapsed / max(runner.done, 1)
    print(f'done {runner.done}, failed {len(runner.failed)}, '
          f'{per_image:.3f} s/image ({elapsed:.1f} s in all); outputs in '
          f'{osp.abspath(args.out_dir)}')
    for source in runner.failed:
        print(f'  failed: {source}')
    return 0 if runner.done and not runner.broken else 1

