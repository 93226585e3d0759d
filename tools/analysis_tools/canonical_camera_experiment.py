"""Does a canonical camera help metric depth on focal lengths it never saw?

Trains the tiny synthetic config on rooms rendered with a mix of focal
lengths, once as published (the head predicts metric depth) and once with
``model.camera=dict(canonical_focal=...)``, for several seeds, and evaluates
both on held-out rooms seen through a shorter and a longer focal length than
any in training (each evaluation sample carries its own focal, as
``tools/test.py`` does). Prints abs_rel and d1 as mean +- standard deviation
over the seeds and writes the table and every run's numbers as JSON::

    python tools/analysis_tools/canonical_camera_experiment.py \\
        --work-dir work_dirs/canonical_camera --seeds 0 1 2

The data are written by :func:`da2zoe.testing.synthetic_datasets.
write_synthetic` in the folder layout (``intrinsics.json`` per image).

``--diagnose`` then measures every held-out image of each seed's two trained
models (:mod:`da2zoe.analysis.camera_diagnosis`): its floor fraction (the
floor is the rooms' metric cue: a floor pixel's row gives its depth) against
its scale error ``median log(pred / gt)``, and adds interventions on the
rooms of each held-out focal longer than the training range: the same rooms
with the principal point moved up (``--shift-cy``: a shifted lens, the floor
in view), with the camera turned further down (``--pitch-down``) and with
the camera raised (``--raise-camera``). It writes
``diagnosis_seed<N>.json`` (every image), ``_images.md`` (the same as a
table) and ``.md`` (the summary tables)::

    python tools/analysis_tools/canonical_camera_experiment.py \\
        --work-dir work_dirs/canonical_camera --seeds 0 --diagnose
"""
from __future__ import annotations

import argparse
import json
import os
import os.path as osp
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from torch.utils.data import DataLoader

from da2zoe.analysis.camera_diagnosis import (
    FLOOR_BINS,
    diagnosis_markdown,
    image_markdown,
    image_records,
    paired_markdown,
    paired_rows,
)
from da2zoe.apis import init_model
from da2zoe.evaluation.metrics.depth_metric import DepthMetric
from da2zoe.registry import DATASETS
from da2zoe.testing.synthetic_datasets import (
    FolderWriter,
    split_indices,
    write_synthetic,
)
from da2zoe.testing.synthetic_scenes import (
    SyntheticScene,
    nyu_intrinsics,
    plane_masks,
    render_scene,
)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(REPO, 'configs', 'da2zoe_tiny_synthetic.py')
VARIANTS = ('metric head', 'canonical camera')


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line.

    Args:
        argv: arguments (default: ``sys.argv[1:]``).

    Returns:
        The parsed namespace.
    """
    parser = argparse.ArgumentParser(
        allow_abbrev=False, description=__doc__.split('\n\n')[0])
    parser.add_argument('--work-dir', default='work_dirs/canonical_camera')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--num-train', type=int, default=160)
    parser.add_argument('--num-test', type=int, default=32)
    parser.add_argument('--size', type=int, nargs=2, default=(112, 154),
                        metavar=('H', 'W'))
    parser.add_argument('--crop', type=int, default=112)
    parser.add_argument('--epochs', type=int, default=20)
    parser.add_argument('--train-fx', type=float, nargs=2,
                        default=(90.0, 150.0), metavar=('LOW', 'HIGH'),
                        help='training focal range (pixels at --size)')
    parser.add_argument('--test-fx', type=float, nargs='+',
                        default=(65.0, 210.0),
                        help='held-out focal lengths, one test set each')
    parser.add_argument(
        '--canonical-focal', type=float, default=90.0,
        help='canonical focal in input pixels (default: the shortest '
        "training focal, so canonical labels stay inside the head's range)")
    parser.add_argument(
        '--diagnose', action='store_true',
        help='after training: per-image floor fraction vs scale error of '
        'both models, with the interventions (diagnosis_seed<N>.json/.md)')
    parser.add_argument(
        '--shift-cy', type=float, nargs='+', default=(0.05, 0.3),
        metavar='FRACTION',
        help='intervention: principal point row as a fraction of the height, '
        'one set each (default 0.05 0.3: the floor fills the lower image; '
        'the horizon far above the image or near the top)')
    parser.add_argument(
        '--pitch-down', type=float, nargs='*', default=(10.0, ),
        metavar='DEG',
        help='intervention: the camera turned this much further down, one '
        'set each (default 10: the floor in view with the perspective of a '
        'turned camera)')
    parser.add_argument(
        '--raise-camera', type=float, default=0.8, metavar='METRES',
        help='intervention: camera raised by this much (default 0.8: 1.9 to '
        '2.4 m, under the lowest ceiling of 2.5 m)')
    args = parser.parse_args(argv)
    if not all(0 <= shift < 1 for shift in args.shift_cy):
        parser.error(f'--shift-cy {args.shift_cy}: fractions in [0, 1)')
    if not all(0 < pitch <= 30 for pitch in args.pitch_down):
        parser.error(f'--pitch-down {args.pitch_down}: degrees in (0, 30] '
                     '(the rendered canvas grows with the turn)')
    if not 0 <= args.raise_camera < 0.9:
        parser.error(f'--raise-camera {args.raise_camera}: in [0, 0.9) m '
                     '(the camera stands 1.1 to 1.6 m high in rooms 2.5 to '
                     '3.3 m tall)')
    return args


def make_data(args: argparse.Namespace) -> dict:
    """Writes the training mix and one test set per held-out focal."""
    roots = {}
    sets = [('train', 0, args.num_train, tuple(args.train_fx))]
    sets += [(f'fx{fx:g}', 100 + i, args.num_test, (fx, fx))
             for i, fx in enumerate(args.test_fx)]
    for name, seed, num, fx_range in sets:
        out = osp.join(args.work_dir, 'data', name)
        if not osp.isfile(osp.join(out, 'manifest.json')):
            write_synthetic(out, num, seed, tuple(args.size), ['folder'],
                            fx_range=fx_range)
        roots[name] = osp.join(out, 'folder')
    return roots


def test_seed(args: argparse.Namespace, focal: float) -> int:
    """The scene seed of a held-out focal's rooms (see :func:`make_data`)."""
    return 100 + list(args.test_fx).index(focal)


def intervention_sets(args: argparse.Namespace) -> dict:
    """The views of each held-out focal longer than the training range:
    name -> (focal, seed, principal point row or None, camera raise in m,
    extra downward pitch in degrees)."""
    sets = {}
    height = args.size[0]
    for fx in args.test_fx:
        if fx > max(args.train_fx):
            seed = test_seed(args, fx)
            for shift in args.shift_cy:
                sets[f'fx{fx:g}_cy{shift:g}H'] = (fx, seed, shift * height,
                                                  0.0, 0.0)
            for pitch in args.pitch_down:
                sets[f'fx{fx:g}_pitch{pitch:g}'] = (fx, seed, None, 0.0,
                                                    pitch)
            sets[f'fx{fx:g}_up{args.raise_camera:g}m'] = (
                fx, seed, None, args.raise_camera, 0.0)
    return sets


def render_view(index: int, seed: int, size: tuple, focal: float,
                cy: float | None, raise_by: float,
                pitch: float = 0.0) -> SyntheticScene:
    """Scene ``index`` of ``seed`` through an intervention's camera."""
    intrinsics = scene_camera(size, focal, cy)
    offset = np.array([0.0, raise_by, 0.0])
    if pitch == 0:
        return render_scene(index, seed, size, intrinsics,
                            camera_offset=offset)
    return render_pitched(index, seed, size, intrinsics, pitch, offset)


def render_pitched(index: int, seed: int, size: tuple,
                   intrinsics: np.ndarray, pitch: float,
                   offset: np.ndarray) -> SyntheticScene:
    """The scene through its camera turned ``pitch`` degrees further down.

    The room's camera pose is drawn inside :func:`render_scene`; a turned
    camera is rendered as the unturned one on a canvas of twice the focal
    that covers every turned ray, each output pixel taking its nearest
    canvas pixel (point-sampled like the renderer) and that surface point's
    z-depth along the turned optical axis.
    """
    height, width = size
    angle = np.deg2rad(pitch)
    # Camera frame: x right, y down, z forward; the turned axis leans +y.
    turn = np.array([[1, 0, 0], [0, np.cos(angle), np.sin(angle)],
                     [0, -np.sin(angle), np.cos(angle)]])
    rows, cols = np.mgrid[0:height, 0:width].astype(np.float64)
    rays = turn @ (np.linalg.inv(intrinsics) @ np.stack(
        [cols.ravel(), rows.ravel(), np.ones(rows.size)]))
    canvas = np.diag([2 * intrinsics[0, 0], 2 * intrinsics[1, 1], 1.0])
    uv = (canvas @ (rays / rays[2]))[:2]
    low = np.floor(uv.min(axis=1)) - 2
    canvas[:2, 2] = -low
    shape = tuple(int(v) for v in np.ceil(uv.max(axis=1) - low)[::-1] + 3)
    wide = render_scene(index, seed, shape, canvas, camera_offset=offset)
    col, row = np.rint(uv - low[:, None]).astype(int)
    points = np.linalg.inv(canvas) @ np.stack(
        [col, row, np.ones(col.size)]) * wide.depth[row, col]
    depth = (turn[:, 2] @ points).reshape(size).astype(np.float32)

    def pick(image: np.ndarray) -> np.ndarray:
        return image[row, col].reshape(size + image.shape[2:])

    return SyntheticScene(
        rgb=pick(wide.rgb), depth=depth, intrinsics=intrinsics,
        surface_id=pick(wide.surface_id), normals=pick(wide.normals),
        num_boxes=wide.num_boxes, index=index, seed=seed)


def scene_camera(size: tuple, focal: float, cy: float | None) -> np.ndarray:
    """The synthetic rooms' camera at ``focal`` (NYU's principal point
    scaled to ``size`` unless ``cy`` is given)."""
    intrinsics = nyu_intrinsics(size)
    intrinsics[0, 0] = intrinsics[1, 1] = focal
    if cy is not None:
        intrinsics[1, 2] = cy
    return intrinsics


def make_interventions(args: argparse.Namespace) -> dict:
    """Writes the intervention sets (folder layout) and returns their
    roots."""
    roots = {}
    size = tuple(args.size)
    for name, view in intervention_sets(args).items():
        out = osp.join(args.work_dir, 'data', name)
        root = osp.join(out, 'folder')
        if not osp.isfile(osp.join(root, 'intrinsics.json')):
            writer = FolderWriter(Path(out), view[1])
            splits = split_indices(args.num_test)
            for index in range(args.num_test):
                writer.add(render_view(index, view[1], size, view[0],
                                       *view[2:]), splits[index])
            writer.finish()
        roots[name] = root
    return roots


def scene_function(args: argparse.Namespace, name: str, root: str):
    """``(img_path, shape) -> SyntheticScene`` for the images of one set:
    each re-rendered from its index, the set's seed and camera."""
    with open(osp.join(root, 'intrinsics.json')) as file:
        cameras = json.load(file)
    views = intervention_sets(args)
    seed = 0 if name == 'train' else views[name][1] if (
        name in views) else test_seed(args, float(name[2:]))

    def scene_of(img_path: str, shape: tuple) -> SyntheticScene:
        stem = osp.splitext(osp.basename(img_path))[0]
        index = int(stem.split('_')[-1])
        if name in views:
            if tuple(shape) != tuple(args.size):
                raise ValueError(f'{img_path}: {shape} is not --size')
            return render_view(index, seed, tuple(shape), views[name][0],
                               *views[name][2:])
        return render_scene(index, seed, tuple(shape),
                            np.array(cameras[stem], np.float64))

    return scene_of


def floor_function(args: argparse.Namespace, name: str, root: str):
    """``(img_path, shape) -> floor mask`` for the images of one set."""
    scene_of = scene_function(args, name, root)
    return lambda img_path, shape: plane_masks(scene_of(img_path,
                                                        shape))['floor']


def folder_dataset(root: str, pipeline: list) -> dict:
    return dict(type='DepthFolderDataset', data_root=root, depth_scale=1e-3,
                pipeline=pipeline)


def write_config(args: argparse.Namespace, roots: dict, canonical: bool,
                 path: str) -> None:
    """The tiny config on the focal mix (with or without the camera)."""
    cfg = Config.fromfile(CONFIG)
    crop = args.crop
    cfg.train_pipeline[2]['min_size'] = crop
    cfg.train_pipeline[3]['crop_size'] = crop
    cfg.test_pipeline[2]['min_size'] = crop
    cfg.train_dataloader.dataset = folder_dataset(roots['train'],
                                                  cfg.train_pipeline)
    cfg.train_dataloader.persistent_workers = False
    cfg.val_dataloader.dataset = folder_dataset(
        roots[f'fx{args.test_fx[0]:g}'], cfg.test_pipeline)
    cfg.test_dataloader = cfg.val_dataloader
    if canonical:
        cfg.model.camera = dict(canonical_focal=args.canonical_focal)
    epochs = args.epochs
    cfg.train_cfg.max_epochs = epochs
    cfg.train_cfg.val_interval = epochs + 1
    cfg.param_scheduler[1].update(T_max=epochs, end=epochs)
    cfg.default_hooks.checkpoint.interval = epochs
    cfg.dump(path)


def evaluate(model, root: str, pipeline: list) -> dict:
    """abs_rel, d1 (and the rest of DepthMetric) on one test folder."""
    dataset = DATASETS.build(folder_dataset(root, pipeline))
    loader = DataLoader(dataset, batch_size=8, collate_fn=pseudo_collate)
    metric = DepthMetric()
    with torch.no_grad():
        for batch in loader:
            metric.process(None, model.test_step(batch))
    return metric.compute_metrics(metric.results)


def run(args: argparse.Namespace, roots: dict, canonical: bool,
        seed: int) -> dict:
    """Trains one variant with one seed; returns its held-out metrics."""
    tag = f'{"canonical" if canonical else "metric"}_seed{seed}'
    work_dir = osp.join(args.work_dir, tag)
    result_file = osp.join(work_dir, 'heldout.json')
    if osp.isfile(result_file):
        with open(result_file) as file:
            return json.load(file)
    os.makedirs(work_dir, exist_ok=True)
    config = osp.join(work_dir, 'experiment_config.py')
    write_config(args, roots, canonical, config)
    start = time.perf_counter()
    subprocess.run([
        sys.executable, osp.join(REPO, 'tools', 'train.py'), config,
        '--work-dir', work_dir, '--cfg-options', f'randomness.seed={seed}'
    ], check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    model = init_model(config, osp.join(work_dir, 'checkpoint_latest.pth'))
    cfg = Config.fromfile(config)
    result = {'train_seconds': seconds}
    for name in roots:
        result[name] = evaluate(model, roots[name], cfg.test_pipeline)
    with open(result_file, 'w') as file:
        json.dump(result, file, indent=1)
    return result


def diagnose(args: argparse.Namespace, roots: dict, seed: int) -> str:
    """Per-image diagnosis of one seed's two models; writes
    ``diagnosis_seed<N>.json`` / ``.md`` and returns the Markdown."""
    sets = dict(roots, **make_interventions(args))
    records = []
    for variant in VARIANTS:
        canonical = variant == VARIANTS[1]
        work_dir = osp.join(args.work_dir,
                            f'{"canonical" if canonical else "metric"}'
                            f'_seed{seed}')
        config = osp.join(work_dir, 'experiment_config.py')
        model = init_model(config, osp.join(work_dir,
                                            'checkpoint_latest.pth'))
        cfg = Config.fromfile(config)
        for name, root in sets.items():
            records += image_records(
                model, folder_dataset(root, cfg.test_pipeline),
                floor_function(args, name, root), name, variant,
                canonical_focal=args.canonical_focal if canonical else None,
                max_depth=cfg.model.head.max_depth)
    # The training focal is log-uniform: its geometric mean is the centre.
    train_focal = float(np.sqrt(np.prod(args.train_fx)))
    paired = {edges: paired_rows(records, *VARIANTS, train_focal, edges)
              for edges in ((0.0, 1.0), FLOOR_BINS)}
    text = '\n\n'.join([diagnosis_markdown(records)] + [
        paired_markdown(rows) for rows in paired.values()])
    base = osp.join(args.work_dir, f'diagnosis_seed{seed}')
    with open(base + '.json', 'w') as file:
        json.dump(dict(args=vars(args), seed=seed, train_focal=train_focal,
                       paired=list(paired.values()), records=records),
                  file, indent=1)
    with open(base + '.md', 'w') as file:
        file.write(text + '\n')
    with open(base + '_images.md', 'w') as file:
        file.write(image_markdown(records) + '\n')
    return text


def table(args: argparse.Namespace, runs: dict) -> str:
    """Markdown table: mean +- std over seeds per variant and test set."""
    sets = ['train'] + [f'fx{fx:g}' for fx in args.test_fx]
    header = '| model | ' + ' | '.join(
        f'{s} abs_rel | {s} d1' for s in sets) + ' |'
    lines = [header, '|' + '---|' * (1 + 2 * len(sets))]
    for variant in VARIANTS:
        cells = []
        for name in sets:
            for key in ('abs_rel', 'd1'):
                values = np.array([r[name][key] for r in runs[variant]])
                cells.append(f'{values.mean():.3f} ± {values.std():.3f}')
        lines.append(f'| {variant} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def main(argv: list[str] | None = None) -> int:
    """Runs the whole experiment and prints the table."""
    args = parse_args(argv)
    roots = make_data(args)
    runs = {variant: [] for variant in VARIANTS}
    for seed in args.seeds:
        for variant in VARIANTS:
            result = run(args, roots, variant == VARIANTS[1], seed)
            runs[variant].append(result)
            print(f'{variant} seed {seed}: ' + ', '.join(
                f'{n} abs_rel {result[n]["abs_rel"]:.3f} d1 '
                f'{result[n]["d1"]:.3f}' for n in roots) +
                  f' ({result["train_seconds"]:.0f} s)', flush=True)
    text = table(args, runs)
    print(f'\ntrain fx {args.train_fx}, held-out fx {args.test_fx}, '
          f'canonical focal {args.canonical_focal}, seeds {args.seeds} '
          f'(mean ± std)\n{text}')
    with open(osp.join(args.work_dir, 'summary.json'), 'w') as file:
        json.dump(dict(args=vars(args), runs=runs, table=text), file,
                  indent=1)
    if args.diagnose:
        for seed in args.seeds:
            print(f'\ndiagnosis, seed {seed} (floor fraction vs scale error '
                  f'per image)\n{diagnose(args, roots, seed)}', flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
