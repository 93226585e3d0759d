"""iBims-1: the ``.mat`` release and the PNG release."""
import glob
import os.path as osp
from typing import Callable, List, Sequence, Union

from mmengine.logging import print_log

from da2zoe.registry import DATASETS
from .base_depth_dataset import BaseDepthDataset, depth_spec
from .codecs import IBIMS_PLANES
from .list_readers import read_rows

IBIMS_FORMATS = ('auto', 'mat', 'png')


@DATASETS.register_module()
class IBimsDataset(BaseDepthDataset):
    """iBims-1 (100 indoor test images, 640x480, laser-scanned depth).

    Two releases, detected from ``data_root`` or chosen with ``format``:

    - ``'mat'``: ``<name>.mat`` files whose struct ``data`` holds ``rgb``,
      ``depth`` (metres, 0 missing), ``mask_invalid`` (1 = valid),
      ``mask_transp`` (1 = not transparent), ``edges``, ``calib`` and the
      plane masks ``mask_{wall,table,floor}`` (+ ``_paras``). Rule
      ``ibims_mat``.
    - ``'png'``: ``rgb/``, ``depth/`` (uint16, metres = ``v * 50 / 65535``),
      ``mask_invalid/``, ``mask_transp/`` (optional ``edges/``,
      ``mask_{wall,table,floor}/``, ``calib/<name>.txt``). Rule ``ibims_png``.

    Names come from ``imagelist.txt`` when present, else from the files.
    Validity = ``mask_invalid * mask_transp * (depth > 0)``. Evaluation:
    0..10 m with NYU's Eigen window (``'eigen_fixed'``) by default, as
    ZoeDepth / Depth Anything evaluate every indoor set (REFERENCE section 5:
    results compare with their published iBims-1 numbers); pass
    ``eval_crop=None`` for the iBims-1 protocol.
    With ``with_ibims_extras=True`` samples also carry ``ibims_edges``,
    ``ibims_planes`` (``{name: {'mask', 'params'}}``) for the boundary,
    directed-depth and planarity metrics; ``intrinsics`` come from ``calib``.

    Args:
        data_root (str): The release's folder.
        format (str): ``'auto'``, ``'mat'`` or ``'png'``. Default: 'auto'.
        image_list (str): Names list, relative to ``data_root``.
            Default: 'imagelist.txt'.
        with_ibims_extras (bool): Load edges, planes. Default: False.
        pipeline (Sequence[dict | Callable]): Transforms. Default: ().
        **base_args: See :class:`BaseDepthDataset` (ranges and
            ``eval_crop`` default to ``SPEC``).
    """

    DATASET_NAME = 'ibims'
    DEPTH_DECODER = 'ibims_mat'
    SPEC = depth_spec(
        max_depth=10.0, eval_crop='eigen_fixed', eval_min_depth=0.0)

    def __init__(self,
                 data_root: str,
                 format: str = 'auto',
                 image_list: str = 'imagelist.txt',
                 with_ibims_extras: bool = False,
                 pipeline: Sequence[Union[dict, Callable]] = (),
                 **base_args) -> None:
        if format not in IBIMS_FORMATS:
            raise ValueError(f'format={format!r}: expected one of '
                             f'{IBIMS_FORMATS}')
        data_root = find_ibims_root(data_root)
        self.format = detect_ibims_format(data_root) if format == 'auto' \
            else format
        self.image_list = image_list
        # Instance attribute: the base class checks it before loading.
        self.DEPTH_DECODER = f'ibims_{self.format}'
        super().__init__(data_root, '', pipeline, **base_args)
        self.sample_spec['with_ibims_extras'] = with_ibims_extras

    def _names(self) -> List[str]:
        list_path = osp.join(self.data_root, self.image_list)
        if osp.isfile(list_path):
            return [fields[0] for _, fields in read_rows(list_path)]
        pattern = '*.mat' if self.format == 'mat' else osp.join('rgb', '*.png')
        files = sorted(glob.glob(osp.join(self.data_root, pattern)))
        return [osp.splitext(osp.basename(path))[0] for path in files]

    def load_rows(self) -> List[dict]:
        """List the images.

        Returns:
            list[dict]: ``img_path``, ``depth_path`` (the same ``.mat`` for
            the mat release) and, for PNG, ``ibims_mask_paths`` and
            ``ibims_extra_paths``.
        """
        rows = []
        for name in self._names():
            name = osp.splitext(name)[0]
            if self.format == 'mat':
                path = self.join(name + '.mat')
                rows.append(dict(img_path=path, depth_path=path))
                continue
            rows.append(png_row(self.data_root, name))
        return rows


def png_row(root: str, name: str) -> dict:
    """The files of one image of the PNG release.

    Args:
        root (str): The release's folder.
        name (str): Image name without extension.

    Returns:
        dict: Paths of the image, depth, validity masks and (where present)
        edges, plane masks and calibration.
    """
    png = name + '.png'
    extras = {}
    for key in ('edges', ) + tuple(f'mask_{p}' for p in IBIMS_PLANES):
        path = osp.join(root, key, png)
        if osp.isfile(path):
            extras[key] = path
    calib = osp.join(root, 'calib', name + '.txt')
    return dict(
        img_path=osp.join(root, 'rgb', png),
        depth_path=osp.join(root, 'depth', png),
        ibims_mask_paths=dict(
            mask_invalid=osp.join(root, 'mask_invalid', png),
            mask_transp=osp.join(root, 'mask_transp', png)),
        ibims_extra_paths=extras,
        intrinsics_path=calib if osp.isfile(calib) else None)


def _is_release(folder: str) -> bool:
    return bool(glob.glob(osp.join(folder, '*.mat'))) or (
        osp.isdir(osp.join(folder, 'rgb'))
        and osp.isdir(osp.join(folder, 'depth')))


def find_ibims_root(data_root: str) -> str:
    """The release folder: ``data_root`` itself or its one release subfolder.

    The iBims-1 download unpacks to ``<parent>/ibims1_core_mat/`` (and the
    PNG release to ``ibims1_core_raw/``); pointing at the parent works when
    one subfolder is a release, or one of several is the ``.mat`` release.

    Args:
        data_root (str): The release's folder or the folder above it.

    Returns:
        str: The folder that holds the release.

    Raises:
        FileNotFoundError: If several subfolders are releases and not
            exactly one of them the ``.mat`` release (naming them).
    """
    if _is_release(data_root) or not osp.isdir(data_root):
        return data_root
    found = sorted(path for path in glob.glob(osp.join(data_root, '*', ''))
                   if _is_release(path))
    mats = [path for path in found if glob.glob(osp.join(path, '*.mat'))]
    if len(found) == 1 or len(mats) == 1:  # the .mat release has it all
        chosen = (found if len(found) == 1 else mats)[0].rstrip('/')
        print_log(f'iBims-1: {data_root!r} is the folder above the release; '
                  f'using {chosen!r}', logger='current')
        return chosen
    if found:
        raise FileNotFoundError(
            f'iBims-1: {data_root!r} holds several releases '
            f'{[osp.basename(p.rstrip("/")) for p in found]}; pass one of '
            'them as the root')
    return data_root


def detect_ibims_format(data_root: str) -> str:
    """``'png'`` if ``data_root`` has ``rgb/`` and ``depth/``, ``'mat'`` if it
    has ``.mat`` files.

    Args:
        data_root (str): The release's folder.

    Returns:
        str: The format.

    Raises:
        FileNotFoundError: If neither layout is found.
    """
    if osp.isdir(osp.join(data_root, 'rgb')) and osp.isdir(
            osp.join(data_root, 'depth')):
        return 'png'
    if glob.glob(osp.join(data_root, '*.mat')):
        return 'mat'
    raise FileNotFoundError(
        f'iBims-1: {data_root!r} holds neither .mat files nor rgb/ + depth/ '
        'folders (nor does any subfolder: pass the release folder, e.g. '
        "'<download>/ibims1_core_mat')")
