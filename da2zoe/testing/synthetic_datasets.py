"""Write procedural scenes (:mod:`da2zoe.testing.synthetic_scenes`) in every
on-disk format the toolbox reads.

Every depth file, mask and intrinsics file goes through the encoders of
:mod:`da2zoe.datasets.codecs`, so the format rules live there once; this module
only lays the files out as each dataset ships them.

The same scene indices are written in each format, so a test can decode any
file and compare it with ``render_scene(index, seed, size)``. Layout under the
output folder ``DIR`` (REFERENCE section 6 has the rules):

- ``nyu/`` (``nyu_csv``, DenseDepth): ``data/nyu2_train/<scene>/<i>.jpg`` +
  ``<i>.png`` (8-bit, metres = v / 255 * 10, clipped to 10 m);
  ``data/nyu2_test/<i:05d>_colors.png`` + ``<i:05d>_depth.png`` (16-bit mm);
  ``data/nyu2_train.csv`` and ``data/nyu2_test.csv``: no header, ``rgb,depth``
  relative to ``nyu/``.
- ``nyu_eigen/`` (BTS / ZoeDepth): ``sync/<scene>/rgb_<i>.jpg`` +
  ``sync_depth_<i>.png`` and ``official_splits/test/<scene>/...`` (16-bit mm);
  ``nyudepthv2_{train,test}_files_with_gt.txt`` with lines ``rgb depth focal``
  (train paths start with '/' and are relative to ``sync/``, test paths to
  ``official_splits/test/``). Test RGB is black and train RGB white outside
  NYU's valid window (rows 7:474, cols 7:632 at 480x640, scaled; the manifest
  stores it as ``border_window``).
- ``sunrgbd/``: ``kv2/synthetic/<name>/{image/<name>.jpg, depth/<name>.png,
  depth_bfx/<name>.png, intrinsics.txt}``; depth is 16-bit mm rotated left by 3
  bits, ``depth/`` has holes (0), ``depth_bfx/`` is complete.
  ``sunrgbd_{train,test}.json`` list ``{"image", "depth", "depth_bfx"}``
  relative to ``sunrgbd/`` (the first train entry has no ``depth_bfx``);
  ``sunrgbd_val_samples.json`` is ``{"samples": [...]}`` (test scenes).
- ``ibims/``: ``ibims1_core_mat/<name>.mat`` (struct ``data``: rgb, depth,
  edges, calib, mask_invalid (1 = valid), mask_transp (1 = opaque), mask_wall,
  mask_table, mask_floor) and ``ibims1_core_raw/{rgb,depth,mask_invalid,
  mask_transp}/<name>.png`` + ``calib/<name>.txt`` (depth uint16,
  metres = v * 50 / 65535; masks 8-bit 0/255); ``imagelist.txt`` (names) in
  both folders. Some pixels are invalid, transparent or missing (depth 0).
- ``da2k/``: ``images/<scene_type>/<i>.jpg`` (the 8 DA-2K scene types in turn)
  and ``annotations.json``
  ``{"images/<scene_type>/<i>.jpg": [{"point1": [row, col],
  "point2": [row, col], "closer_point": "point1"}]}`` with point1 at least
  1.25x closer than point2 (an image with no such pair, a rare flat view, is
  left out of it).
- ``kitti/``: ``raw/2011_09_26/<drive>/image_02/data/<i>.png`` and
  ``gt/<drive>/proj_depth/groundtruth/image_02/<i>.png`` (sparse 16-bit,
  metres = v / 256, 0 = no point, points only below 30 % of the height);
  ``kitti_eigen_{train,test}_files_with_gt.txt`` lines ``rgb gt focal`` (rgb
  relative to ``raw/``, gt to ``gt/``; the first train line has gt ``None`` and
  no GT file). Rendered at ``kitti_size`` (default 376x1232, so the 352x1216
  bottom-centre crop applies) with KITTI intrinsics.
- ``folder/rgb/<name>.jpg`` + ``folder/depth/<name>.png`` (16-bit mm) and
  ``folder_npy/rgb/<name>.jpg`` + ``folder_npy/depth/<name>.npy`` (float32
  metres).
- ``manifest.json``: seed, num, size, intrinsics, kitti_size, kitti_intrinsics
  and, per format, ``entries`` (scene ``index``, ``split`` and the written
  paths, relative to ``DIR``). Entry fields: nyu_csv ``rgb``, ``depth``
  (train) / ``test_rgb``, ``test_depth`` (test); nyu_eigen the same plus
  ``focal``; sunrgbd ``image``, ``depth``, ``depth_bfx``, ``intrinsics``; ibims
  ``name``, ``mat``, ``rgb``, ``depth``, ``mask_invalid``, ``mask_transp``,
  ``calib``; da2k ``image``, ``key``, ``pairs``; kitti ``rgb``, ``gt`` (None
  for the gt-less line), ``focal``; folder ``rgb``, ``depth``, ``npy_rgb``,
  ``npy_depth`` (and the section's ``depth_scale`` per folder).

Splits: the last 20 % of the indices (at least one) are test, the rest train
(with ``num == 1`` the scene is both).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

import cv2
import numpy as np

from da2zoe.datasets.codecs import (
    encode_ibims_png,
    encode_kitti,
    encode_mask,
    encode_millimetres,
    encode_nyu8,
    encode_scaled,
    encode_sunrgbd,
    nyu_valid_window,
    write_ibims_mat,
    write_intrinsics,
    write_raw,
)
from .synthetic_scenes import (
    SyntheticScene,
    kitti_intrinsics,
    nyu_intrinsics,
    plane_masks,
    render_scene,
)

FORMATS = ('nyu_csv', 'nyu_eigen', 'sunrgbd', 'ibims', 'da2k', 'kitti',
           'folder')
DA2K_SCENE_TYPES = ('indoor', 'outdoor', 'non_real', 'transparent_reflective',
                    'adverse_style', 'aerial', 'underwater', 'object')
KITTI_DEFAULT_SIZE = (376, 1232)
NYU_SCENE_NAMES = ('bathroom', 'bedroom', 'kitchen', 'living_room', 'office')
#: Metres per stored unit of the two user-folder layouts (what
#: ``DepthFolderDataset`` takes as ``depth_scale``).
FOLDER_DEPTH_SCALES = {'folder': 1e-3, 'folder_npy': 1.0}


def split_indices(num: int) -> dict[int, str]:
    """Split ``range(num)``: the last 20 % (at least one) ``'test'``, the rest
    ``'train'``.

    Args:
        num: number of scenes.

    Returns:
        index -> ``'train'`` or ``'test'``; with ``num == 1`` the one scene is
        ``'both'``.
    """
    if num == 1:
        return {0: 'both'}
    num_test = max(1, round(0.2 * num))
    return {i: 'test' if i >= num - num_test else 'train' for i in range(num)}


def _write_image(path: Path, rgb: np.ndarray) -> None:
    """Write an (H, W, 3) RGB image, creating folders; raise when OpenCV
    cannot."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # 4:4:4 chroma keeps the fine synthetic textures close to the rendered
    # colours.
    params = [
        cv2.IMWRITE_JPEG_QUALITY, 95, cv2.IMWRITE_JPEG_SAMPLING_FACTOR,
        cv2.IMWRITE_JPEG_SAMPLING_FACTOR_444
    ] if path.suffix == '.jpg' else []
    if not cv2.imwrite(
            str(path), np.ascontiguousarray(rgb[..., ::-1]), params):
        raise OSError(f'could not write {path}')


def _write_stored(path: Path, stored: np.ndarray) -> None:
    """Write an encoded depth map or mask (see
    :func:`da2zoe.datasets.codecs.write_raw`), creating folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_raw(str(path), stored)


def _write_intrinsics(path: Path, intrinsics: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_intrinsics(str(path), intrinsics)


def _write_text(path: Path, lines: Sequence[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(''.join(f'{line}\n' for line in lines))


def _write_json(path: Path, obj: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=1))


def _random_blobs(rng: np.random.Generator,
                  size: tuple[int, int],
                  count: int,
                  max_frac: float = 0.12) -> np.ndarray:
    """(H, W) bool mask of ``count`` random filled ellipses, each up to
    ``max_frac`` of the image side."""
    height, width = size
    mask = np.zeros(size, dtype=np.uint8)
    for _ in range(count):
        centre = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        axes = (max(1, int(rng.uniform(0.03, max_frac) * width)),
                max(1, int(rng.uniform(0.03, max_frac) * height)))
        cv2.ellipse(
            mask,
            centre,
            axes,
            float(rng.uniform(0, 180)),
            0,
            360,
            1,
            thickness=-1)
    return mask.astype(bool)


def _random_rectangle(rng: np.random.Generator,
                      size: tuple[int, int],
                      max_frac: float = 0.3) -> np.ndarray:
    """(H, W) bool mask of one random axis-aligned rectangle of at least 2x2
    pixels."""
    height, width = size
    h = max(2, int(rng.uniform(0.1, max_frac) * height))
    w = max(2, int(rng.uniform(0.1, max_frac) * width))
    top, left = int(rng.integers(0, height - h +
                                 1)), int(rng.integers(0, width - w + 1))
    mask = np.zeros(size, dtype=bool)
    mask[top:top + h, left:left + w] = True
    return mask


def depth_edges(depth: np.ndarray, ratio: float = 1.05) -> np.ndarray:
    """(H, W) uint8 occlusion edges: 1 where a 4-neighbour's depth differs by
    more than ``ratio``."""
    log_depth = np.log(depth)
    jump = np.log(ratio)
    edges = np.zeros(depth.shape, dtype=bool)
    vertical = np.abs(np.diff(log_depth, axis=0)) > jump
    horizontal = np.abs(np.diff(log_depth, axis=1)) > jump
    edges[:-1] |= vertical
    edges[1:] |= vertical
    edges[:, :-1] |= horizontal
    edges[:, 1:] |= horizontal
    return edges.astype(np.uint8)


def sample_closer_pairs(depth: np.ndarray,
                        rng: np.random.Generator,
                        num_pairs: int,
                        min_ratio: float = 1.25) -> list[dict]:
    """DA-2K-style point pairs with point1 clearly closer than point2.

    Points avoid a 2-pixel border and depth edges (their 3x3 neighbourhood
    varies by under 10 %), so resizing or JPEG cannot flip the answer.

    Args:
        depth: (H, W) true depth in metres.
        rng: random generator.
        num_pairs: how many pairs at most.
        min_ratio: minimum depth ratio of point2 over point1.

    Returns:
        Up to ``num_pairs`` dicts ``{"point1": [r, c], "point2": [r, c],
        "closer_point": "point1"}``.
    """
    height, width = depth.shape
    if height < 5 or width < 5:
        return []
    rows = rng.integers(2, height - 2, 400)
    cols = rng.integers(2, width - 2, 400)
    offsets = np.arange(-1, 2)
    patch = depth[rows[:, None, None] + offsets[:, None],
                  cols[:, None, None] + offsets]
    smooth = patch.max(axis=(1, 2)) < 1.1 * patch.min(axis=(1, 2))
    rows, cols = rows[smooth], cols[smooth]
    # Pair the nearer half of the candidates with the farther half so that
    # narrow-range views still yield pairs.
    order = np.argsort(depth[rows, cols], kind='stable')
    half = len(order) // 2
    near, far = rng.permutation(order[:half]), rng.permutation(
        order[len(order) - half:])
    pairs = []
    for n, f in zip(near, far):
        if depth[rows[f], cols[f]] > min_ratio * depth[rows[n], cols[n]]:
            pairs.append({
                'point1': [int(rows[n]), int(cols[n])],
                'point2': [int(rows[f]), int(cols[f])],
                'closer_point': 'point1'
            })
            if len(pairs) == num_pairs:
                break
    return pairs


class _FormatWriter:
    """Writes scenes into one format under ``out_dir / root`` and records
    manifest entries.

    Args:
        out_dir: the output folder ``DIR``.
        seed: scene seed (also seeds the format's own randomness: holes, masks,
            sparsity, pairs).
    """

    name = ''
    root = ''
    #: 0 for the NYU-like scenes at ``--size``, 1 for the KITTI scenes at
    #: ``--kitti-size``.
    camera = 0

    def __init__(self, out_dir: Path, seed: int) -> None:
        self.out_dir = out_dir
        self.base = out_dir / self.root
        self.seed = seed
        self.entries: list[dict] = []

    def rng(self, index: int) -> np.random.Generator:
        """Generator for this format's randomness on scene ``index``."""
        return np.random.default_rng(
            (self.seed, index, FORMATS.index(self.name) + 1))

    def rel(self, path: Path) -> str:
        """``path`` relative to ``DIR``, as the manifest stores it."""
        return path.relative_to(self.out_dir).as_posix()

    def add(self, scene: SyntheticScene, split: str) -> None:
        """Write one scene and record its manifest entry."""
        entry = {'index': scene.index, 'split': split}
        entry.update(self.write(scene, split))
        self.entries.append(entry)

    def write(self, scene: SyntheticScene, split: str) -> dict:
        """Write one scene's files; return the manifest fields (paths relative
        to ``DIR``)."""
        raise NotImplementedError

    def finish(self) -> dict:
        """Write index files (splits, lists); return extra manifest fields."""
        return {}

    def manifest(self) -> dict:
        """This format's manifest section."""
        return {'root': self.root, 'entries': self.entries, **self.finish()}


def _in_split(entry: dict, split: str) -> bool:
    return entry['split'] in (split, 'both')


class NYUCSVWriter(_FormatWriter):
    """DenseDepth ``nyu_data.zip`` layout (8-bit train PNGs, 16-bit mm test
    PNGs, header-less CSVs)."""

    name, root = 'nyu_csv', 'nyu'

    def write(self, scene: SyntheticScene, split: str) -> dict:
        fields = {}
        if split in ('train', 'both'):
            scene_dir = (f'{NYU_SCENE_NAMES[scene.index % 5]}_'
                         f'{scene.index // 2:04d}_out')
            folder = self.base / 'data' / 'nyu2_train' / scene_dir
            _write_image(folder / f'{scene.index}.jpg', scene.rgb)
            _write_stored(folder / f'{scene.index}.png',
                          encode_nyu8(scene.depth))
            fields.update(
                rgb=self.rel(folder / f'{scene.index}.jpg'),
                depth=self.rel(folder / f'{scene.index}.png'))
        if split in ('test', 'both'):
            stem = self.base / 'data' / 'nyu2_test' / f'{scene.index:05d}'
            _write_image(stem.with_name(stem.name + '_colors.png'), scene.rgb)
            _write_stored(
                stem.with_name(stem.name + '_depth.png'),
                encode_millimetres(scene.depth))
            fields.update(
                test_rgb=self.rel(stem.with_name(stem.name + '_colors.png')),
                test_depth=self.rel(stem.with_name(stem.name + '_depth.png')))
        return fields

    def finish(self) -> dict:
        for split, prefix in (('train', ''), ('test', 'test_')):
            rows = [
                f'{self._csv_path(e[prefix + "rgb"])},'
                f'{self._csv_path(e[prefix + "depth"])}' for e in self.entries
                if _in_split(e, split)
            ]
            _write_text(self.base / 'data' / f'nyu2_{split}.csv', rows)
        return {}

    def _csv_path(self, rel: str) -> str:
        return Path(rel).relative_to(self.root).as_posix()


class NYUEigenWriter(_FormatWriter):
    """BTS / ZoeDepth ``sync/`` + ``official_splits/test/`` layout with
    ``rgb depth focal`` split files."""

    name, root = 'nyu_eigen', 'nyu_eigen'

    def write(self, scene: SyntheticScene, split: str) -> dict:
        top, bottom, left, right = nyu_valid_window(scene.depth.shape)
        scene_dir = f'{NYU_SCENE_NAMES[scene.index % 5]}_{scene.index:04d}'
        fields = {}
        for part, base, border in (('train', self.base / 'sync', 255),
                                   ('test', self.base / 'official_splits/test',
                                    0)):
            if split not in (part, 'both'):
                continue
            rgb = np.full_like(scene.rgb, border)
            rgb[top:bottom, left:right] = scene.rgb[top:bottom, left:right]
            rgb_path = base / scene_dir / f'rgb_{scene.index:05d}.jpg'
            depth_path = base / scene_dir / f'sync_depth_{scene.index:05d}.png'
            _write_image(rgb_path, rgb)
            _write_stored(depth_path, encode_millimetres(scene.depth))
            prefix = '' if part == 'train' else 'test_'
            fields.update({
                prefix + 'rgb': self.rel(rgb_path),
                prefix + 'depth': self.rel(depth_path)
            })
        fields['focal'] = float(scene.intrinsics[0, 0])
        return fields

    def finish(self) -> dict:
        for split, prefix, base, lead in (('train', '', 'sync', '/'),
                                          ('test', 'test_',
                                           'official_splits/test', '')):
            lines = [
                ' '.join([
                    lead + Path(e[prefix + 'rgb']).relative_to(
                        Path(self.root, base)).as_posix(),
                    lead + Path(e[prefix + 'depth']).relative_to(
                        Path(self.root, base)).as_posix(), f'{e["focal"]:.4f}'
                ]) for e in self.entries if _in_split(e, split)
            ]
            _write_text(self.base / f'nyudepthv2_{split}_files_with_gt.txt',
                        lines)
        return {'border_value': {'train': 255, 'test': 0}}


class SUNRGBDWriter(_FormatWriter):
    """SUN RGB-D frame folders (rotated 16-bit mm depth with holes, filled
    ``depth_bfx``) and the seed's JSON."""

    name, root = 'sunrgbd', 'sunrgbd'

    def write(self, scene: SyntheticScene, split: str) -> dict:
        rng = self.rng(scene.index)
        name = f'SYN{scene.index:04d}'
        frame = self.base / 'kv2' / 'synthetic' / name
        holes = _random_blobs(rng, scene.depth.shape, int(rng.integers(
            1, 4))) | (
                rng.random(scene.depth.shape) < 0.02)
        _write_image(frame / 'image' / f'{name}.jpg', scene.rgb)
        _write_stored(frame / 'depth' / f'{name}.png',
                      encode_sunrgbd(np.where(holes, 0, scene.depth)))
        _write_stored(frame / 'depth_bfx' / f'{name}.png',
                      encode_sunrgbd(scene.depth))
        _write_intrinsics(frame / 'intrinsics.txt', scene.intrinsics)
        return {
            'image': self.rel(frame / 'image' / f'{name}.jpg'),
            'depth': self.rel(frame / 'depth' / f'{name}.png'),
            'depth_bfx': self.rel(frame / 'depth_bfx' / f'{name}.png'),
            'intrinsics': self.rel(frame / 'intrinsics.txt')
        }

    def finish(self) -> dict:
        lists = {}
        for split in ('train', 'test'):
            lists[split] = [{
                key: Path(e[key]).relative_to(self.root).as_posix()
                for key in ('image', 'depth', 'depth_bfx')
            } for e in self.entries if _in_split(e, split)]
        if lists['train']:
            del lists['train'][0][
                'depth_bfx']  # so the fallback to raw depth gets exercised
        _write_json(self.base / 'sunrgbd_train.json', lists['train'])
        _write_json(self.base / 'sunrgbd_test.json', lists['test'])
        _write_json(self.base / 'sunrgbd_val_samples.json',
                    {'samples': lists['test']})
        return {
            'json': {
                'train': 'sunrgbd/sunrgbd_train.json',
                'test': 'sunrgbd/sunrgbd_test.json',
                'samples': 'sunrgbd/sunrgbd_val_samples.json'
            }
        }


class IBimsWriter(_FormatWriter):
    """iBims-1 ``.mat`` release and PNG release, with invalid, transparent and
    missing regions."""

    name, root = 'ibims', 'ibims'

    def write(self, scene: SyntheticScene, split: str) -> dict:
        rng = self.rng(scene.index)
        size = scene.depth.shape
        name = f'synthetic_{scene.index:03d}'
        valid = ~_random_rectangle(rng, size)
        opaque = ~_random_rectangle(rng, size)
        depth = np.where(
            _random_blobs(rng, size, 2, max_frac=0.06), 0,
            scene.depth).astype(np.float32)
        planes = plane_masks(scene)
        data = {
            'rgb': scene.rgb,
            'depth': depth,
            'edges': depth_edges(scene.depth),
            'calib': scene.intrinsics,
            'mask_invalid': valid.astype(np.uint8),
            'mask_transp': opaque.astype(np.uint8),
            **{
                f'mask_{key}': mask.astype(np.uint8)
                for key, mask in planes.items()
            }
        }
        mat_path = self.base / 'ibims1_core_mat' / f'{name}.mat'
        mat_path.parent.mkdir(parents=True, exist_ok=True)
        write_ibims_mat(str(mat_path), data)
        raw = self.base / 'ibims1_core_raw'
        fields = {
            'name': name,
            'mat': self.rel(mat_path),
            'rgb': self.rel(raw / 'rgb' / f'{name}.png')
        }
        _write_image(raw / 'rgb' / f'{name}.png', scene.rgb)
        for key, stored in (('depth', encode_ibims_png(depth)),
                            ('mask_invalid', encode_mask(valid)),
                            ('mask_transp', encode_mask(opaque))):
            _write_stored(raw / key / f'{name}.png', stored)
            fields[key] = self.rel(raw / key / f'{name}.png')
        _write_intrinsics(raw / 'calib' / f'{name}.txt', scene.intrinsics)
        fields['calib'] = self.rel(raw / 'calib' / f'{name}.txt')
        return fields

    def finish(self) -> dict:
        names = [e['name'] for e in self.entries]
        for folder in ('ibims1_core_mat', 'ibims1_core_raw'):
            _write_text(self.base / folder / 'imagelist.txt', names)
        return {}


class DA2KWriter(_FormatWriter):
    """DA-2K images under the eight scene types and ``annotations.json`` of
    closer-point pairs."""

    name, root = 'da2k', 'da2k'

    def write(self, scene: SyntheticScene, split: str) -> dict:
        scene_type = DA2K_SCENE_TYPES[scene.index % len(DA2K_SCENE_TYPES)]
        key = f'images/{scene_type}/{scene.index:04d}.jpg'
        _write_image(self.base / key, scene.rgb)
        rng = self.rng(scene.index)
        pairs = sample_closer_pairs(scene.depth, rng, int(rng.integers(2, 5)))
        return {'image': self.rel(self.base / key), 'key': key, 'pairs': pairs}

    def finish(self) -> dict:
        # A view of one flat wall can have no clear pair; DA-2K never lists an
        # image without pairs.
        _write_json(self.base / 'annotations.json',
                    {e['key']: e['pairs']
                     for e in self.entries if e['pairs']})
        return {}


class KITTIWriter(_FormatWriter):
    """KITTI raw / ground-truth layout with sparse 16-bit depth and Eigen split
    files."""

    name, root, camera = 'kitti', 'kitti', 1

    def write(self, scene: SyntheticScene, split: str) -> dict:
        rng = self.rng(scene.index)
        drive = f'2011_09_26_drive_{1 + scene.index // 4:04d}_sync'
        frame = f'{scene.index:010d}.png'
        rgb_path = (
            self.base / 'raw' / '2011_09_26' / drive / 'image_02' / 'data' /
            frame)
        _write_image(rgb_path, scene.rgb)
        fields = {
            'rgb': self.rel(rgb_path),
            'gt': None,
            'focal': float(scene.intrinsics[0, 0])
        }
        if split == 'train' and not any(e['split'] == 'train'
                                        for e in self.entries):
            # The first train line gets gt None, as in the real split files.
            return fields
        # LiDAR returns only cover the lower part of the image.
        keep = rng.random(scene.depth.shape) < rng.uniform(0.07, 0.25)
        keep[:int(0.3 * scene.depth.shape[0])] = False
        gt_path = (
            self.base / 'gt' / drive / 'proj_depth' / 'groundtruth' /
            'image_02' / frame)
        _write_stored(gt_path, encode_kitti(np.where(keep, scene.depth, 0)))
        fields['gt'] = self.rel(gt_path)
        return fields

    def finish(self) -> dict:
        for split in ('train', 'test'):
            lines = [
                ' '.join([
                    Path(e['rgb']).relative_to(Path(self.root,
                                                    'raw')).as_posix(),
                    Path(e['gt']).relative_to(Path(
                        self.root, 'gt')).as_posix() if e['gt'] else 'None',
                    f'{e["focal"]:.4f}'
                ]) for e in self.entries if _in_split(e, split)
            ]
            _write_text(self.base / f'kitti_eigen_{split}_files_with_gt.txt',
                        lines)
        return {}


class FolderWriter(_FormatWriter):
    """A user's own folders: ``folder/`` (16-bit mm PNG depth) and
    ``folder_npy/`` (float32 metres .npy)."""

    name, root = 'folder', 'folder'

    def write(self, scene: SyntheticScene, split: str) -> dict:
        name = f'frame_{scene.index:04d}'
        npy_base = self.out_dir / 'folder_npy'
        for base in (self.base, npy_base):
            _write_image(base / 'rgb' / f'{name}.jpg', scene.rgb)
        png_scale, npy_scale = FOLDER_DEPTH_SCALES[
            'folder'], FOLDER_DEPTH_SCALES['folder_npy']
        _write_stored(self.base / 'depth' / f'{name}.png',
                      encode_scaled(scene.depth, png_scale, np.uint16))
        _write_stored(npy_base / 'depth' / f'{name}.npy',
                      encode_scaled(scene.depth, npy_scale, np.float32))
        return {
            'rgb': self.rel(self.base / 'rgb' / f'{name}.jpg'),
            'depth': self.rel(self.base / 'depth' / f'{name}.png'),
            'npy_rgb': self.rel(npy_base / 'rgb' / f'{name}.jpg'),
            'npy_depth': self.rel(npy_base / 'depth' / f'{name}.npy'),
            'intrinsics': scene.intrinsics.tolist()
        }

    def finish(self) -> dict:
        cameras = {
            f'frame_{e["index"]:04d}': e['intrinsics']
            for e in self.entries
        }
        for base in (self.base, self.out_dir / 'folder_npy'):
            _write_json(base / 'intrinsics.json', cameras)
        return {'depth_scale': dict(FOLDER_DEPTH_SCALES)}


WRITERS = {
    cls.name: cls
    for cls in (NYUCSVWriter, NYUEigenWriter, SUNRGBDWriter, IBimsWriter,
                DA2KWriter, KITTIWriter, FolderWriter)
}


def scene_intrinsics(index: int, seed: int, size: tuple[int, int],
                     fx_range: tuple[float, float]) -> np.ndarray:
    """The camera of scene ``index`` for a focal-length range.

    fx = fy is drawn log-uniformly in ``fx_range`` (so a range spans each
    zoom factor equally) from ``(seed, index)`` alone; the principal point is
    NYU's, scaled to ``size``.

    Args:
        index: scene index.
        seed: scene seed.
        size: (height, width) of the image.
        fx_range: (low, high) focal length in pixels at ``size``.

    Returns:
        (3, 3) float64 matrix.
    """
    rng = np.random.default_rng((seed, index, 1000))
    low, high = np.log(fx_range[0]), np.log(fx_range[1])
    focal = float(np.exp(rng.uniform(low, high))) if high > low else float(
        fx_range[0])
    intrinsics = nyu_intrinsics(size)
    intrinsics[0, 0] = intrinsics[1, 1] = focal
    return intrinsics


def write_synthetic(out_dir: str | Path,
                    num: int,
                    seed: int = 0,
                    size: tuple[int, int] = (480, 640),
                    formats: Sequence[str] = FORMATS,
                    kitti_size: tuple[int, int] = KITTI_DEFAULT_SIZE,
                    fx_range: tuple[float, float] | None = None) -> dict:
    """Render scenes ``0 .. num - 1`` and write them in ``formats`` under
    ``out_dir``, plus ``manifest.json``.

    With ``fx_range`` every NYU-like scene gets its own focal length (see
    :func:`scene_intrinsics`), recorded where its format keeps a camera
    (``nyu_eigen``'s focal column, ``sunrgbd``'s ``intrinsics.txt``,
    ``ibims``' calib, ``folder``'s ``intrinsics.json``); ``nyu_csv``, which
    assumes NYU's fixed calibration, is refused with it.

    Args:
        out_dir: output folder ``DIR``.
        num: number of scenes (>= 1).
        seed: scene seed.
        size: (height, width) of the NYU-like scenes (every format but KITTI).
        formats: names from ``FORMATS``.
        kitti_size: (height, width) of the KITTI scenes.
        fx_range: (low, high) focal length in pixels at ``size``; None
            keeps NYU's calibration for every scene.

    Returns:
        The manifest (also written to ``DIR/manifest.json``).
    """
    if num < 1:
        raise ValueError(f'num must be >= 1, got {num}')
    if fx_range is not None:
        if not 0 < fx_range[0] <= fx_range[1]:
            raise ValueError(f'fx_range={fx_range}: need 0 < low <= high')
        if 'nyu_csv' in formats:
            raise ValueError('fx_range: the nyu_csv format has no per-scene '
                             'camera (NYU\'s fixed calibration); leave it '
                             'out of formats')
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown:
        raise ValueError(f'unknown formats {unknown}; choose from {FORMATS}')
    out_dir = Path(out_dir)
    writers = [
        WRITERS[name](out_dir, seed) for name in FORMATS if name in formats
    ]
    cameras = ((tuple(size), nyu_intrinsics(size)),
               (tuple(kitti_size), kitti_intrinsics(kitti_size)))
    splits = split_indices(num)
    for index in range(num):
        scenes = {}
        for writer in writers:
            if writer.camera not in scenes:
                scene_size, intrinsics = cameras[writer.camera]
                if writer.camera == 0 and fx_range is not None:
                    intrinsics = scene_intrinsics(index, seed, size, fx_range)
                scenes[writer.camera] = render_scene(index, seed, scene_size,
                                                     intrinsics)
            writer.add(scenes[writer.camera], splits[index])
    manifest = {
        'seed': seed,
        'num': num,
        'size': list(size),
        'intrinsics': cameras[0][1].tolist(),
        'kitti_size': list(kitti_size),
        'kitti_intrinsics': cameras[1][1].tolist(),
        'fx_range': None if fx_range is None else list(fx_range),
        'nyu_border_window': list(nyu_valid_window(tuple(size))),
        'formats': {
            writer.name: writer.manifest()
            for writer in writers
        }
    }
    _write_json(out_dir / 'manifest.json', manifest)
    return manifest
