"""NYU Depth v2: the DenseDepth CSV release and BTS/ZoeDepth split files."""
from typing import Callable, List, Optional, Sequence, Union

from mmengine.logging import print_log

from da2zoe.registry import DATASETS
from .base_depth_dataset import BaseDepthDataset, depth_spec
from .list_readers import is_header, read_rows
from .split_file_dataset import SplitFileDataset

NYU_FOCAL = 518.8579
#: The Kinect v1 colour calibration NYU Depth v2 ships (at 480x640).
NYU_INTRINSICS = ((NYU_FOCAL, 0.0, 325.5824), (0.0, 519.4696, 253.7362),
                  (0.0, 0.0, 1.0))
NYU_SIZE = (480, 640)
NYU_SPEC = depth_spec(max_depth=10.0, eval_crop='eigen')


@DATASETS.register_module()
class NYUCSVDataset(BaseDepthDataset):
    """NYU Depth v2 as DenseDepth's ``nyu_data.zip`` ships it.

    The CSV has no header and two columns, ``rgb_rel_path,depth_rel_path``,
    relative to ``data_root`` (the folder that holds ``data/``); spaces around
    fields are ignored. Decoding rule ``nyu_png``, chosen PER FILE from the
    PNG's dtype: the 8-bit training PNGs hold ``v / 255 * 10`` metres, the
    16-bit test PNGs millimetres. Zero is invalid. Evaluation: 1e-3..10 m,
    Eigen crop.

    Args:
        csv_file (str): The CSV, relative to ``data_root`` unless absolute.
        data_root (str): Folder the CSV's paths start from.
        pipeline (Sequence[dict | Callable]): Transforms. Default: ().
        focal (float, optional): Focal length in pixels at 480x640. The
            default 518.8579 gives every sample NYU's full calibration
            (``NYU_INTRINSICS``), another value a camera with that focal
            and the principal point at the centre, None no camera. Either
            is scaled to the image's size.
        **base_args: See :class:`BaseDepthDataset` (ranges and
            ``eval_crop`` default to ``SPEC``).
    """

    DEPTH_DECODER = 'nyu_png'
    DATASET_NAME = 'nyu'
    SPEC = NYU_SPEC

    def __init__(self,
                 csv_file: str,
                 data_root: str,
                 pipeline: Sequence[Union[dict, Callable]] = (),
                 focal: Optional[float] = NYU_FOCAL,
                 **base_args) -> None:
        self.focal = focal
        super().__init__(data_root, csv_file, pipeline, **base_args)
        camera = NYU_INTRINSICS if focal == NYU_FOCAL else focal
        self.sample_spec.update(
            camera=camera, camera_size=None if camera is None else NYU_SIZE)

    def load_rows(self) -> List[dict]:
        """Read the CSV.

        Returns:
            list[dict]: ``img_path`` and ``depth_path`` per row.
        """
        rows, bad = [], []
        for line_no, fields in read_rows(self.ann_file, sep=','):
            if not rows and not bad and is_header(fields):
                print_log(f'{self.ann_file}:{line_no}: header {fields} '
                          'skipped', logger='current')
                continue
            if len(fields) != 2 or not all(fields):
                bad.append((f'{self.ann_file}:{line_no}',
                            f'expected "rgb,depth", got {fields}'))
                continue
            rows.append(
                dict(img_path=self.join(fields[0]),
                     depth_path=self.join(fields[1])))
        self.report_bad_rows(bad)
        return rows


@DATASETS.register_module()
class NYUSplitDataset(SplitFileDataset):
    """NYU Depth v2 from a BTS / ZoeDepth Eigen split file.

    Each line is ``rgb depth focal`` (the focal is optional); a leading '/'
    on a path (BTS train lists) is stripped. Paths are relative to
    ``data_root/img_dir`` (RGB) and ``data_root/depth_dir`` (depth): BTS's
    ``sync/`` for train, ``official_splits/test/`` for test. Decoding rule
    ``png_mm``: 16-bit PNG millimetres; any other dtype is refused. Zero is
    invalid. Evaluation: 1e-3..10 m, Eigen crop.

    Args:
        split_file (str): The split file, relative to ``data_root`` unless
            absolute.
        data_root (str): The dataset folder.
        img_dir (str, optional): Folder of the RGB paths, relative to
            ``data_root`` (or absolute). Default: ''.
        depth_dir (str, optional): Folder of the depth paths. Default:
            ``img_dir``.
        pipeline (Sequence[dict | Callable]): Transforms. Default: ().
        **base_args: See :class:`BaseDepthDataset` (ranges and
            ``eval_crop`` default to ``SPEC``).
    """

    DEPTH_DECODER = 'png_mm'
    DATASET_NAME = 'nyu'
    SPEC = NYU_SPEC
