"""The config's test pipeline, as inference runs it (no ground truth)."""
import copy
from typing import List, Optional

from mmcv.transforms import Compose
from mmengine.config import Config

from da2zoe.registry import TRANSFORMS
from da2zoe.structures.patch_grid import check_multiple_of_14

DEFAULT_INPUT_SIZE = 518  # Depth Anything V2's inference size
DEFAULT_PIPELINE = [
    dict(type='LoadRGB'),
    dict(type='KeepAspectResize', min_size=DEFAULT_INPUT_SIZE,
         resize_gt=False),
    dict(type='PackDepthInputs'),
]
# Transforms that read or cut ground truth: the depth loader, and dataset
# windows that only exist for the metric (the prediction must cover the
# whole input image).
GT_TRANSFORMS = ('LoadDepth', 'NYUBorderCrop', 'KBCrop')


def config_test_pipeline(cfg: Optional[Config]) -> List[dict]:
    """The pipeline ``tools/test.py`` evaluates with.

    Args:
        cfg (Config, optional): A model's config.

    Returns:
        list[dict]: ``cfg.test_pipeline``, else the test dataset's pipeline,
        else DA-V2's (load, keep-aspect resize to 518, pack). A copy.
    """
    pipeline = None
    if cfg is not None:
        pipeline = cfg.get('test_pipeline')
        dataset = (cfg.get('test_dataloader') or {}).get('dataset') or {}
        if pipeline is None and isinstance(dataset, dict):
            pipeline = dataset.get('pipeline')
    return copy.deepcopy(list(pipeline or DEFAULT_PIPELINE))


def build_inference_pipeline(cfg: Optional[Config],
                             from_array: bool,
                             input_size: Optional[int] = None,
                             process_res: Optional[int] = None,
                             alpha: str = 'error') -> Compose:
    """The test pipeline without ground-truth transforms.

    Args:
        cfg (Config, optional): The model's config (see
            :func:`config_test_pipeline`).
        from_array (bool): Inputs are HxWx3 uint8 RGB arrays: the loader
            becomes ``LoadRGBFromNDArray``. Otherwise inputs are paths.
        input_size (int, optional): Lower bound of the shorter side; it
            replaces every ``KeepAspectResize.min_size``. Defaults to the
            config's ``infer_size``, else the pipeline's own.
        process_res (int, optional): Longest side for a Depth Anything 3
            pipeline; it replaces every ``LongestSideResize.process_res``.
            Defaults to the pipeline's own (504 in ``configs/da3/``).
        alpha (str): ``LoadRGB``'s rule for files with an alpha channel:
            ``'error'`` (default) or ``'drop'``.

    Returns:
        Compose: Takes ``dict(img_path=...)`` or ``dict(img=...)`` and
        returns ``dict(inputs, data_samples)``.

    Raises:
        ValueError: If ``input_size`` is not a multiple of 14, or the
            pipeline has no ``KeepAspectResize`` to take it (or no
            ``LongestSideResize`` to take ``process_res``).
    """
    if input_size is None and cfg is not None:
        input_size = cfg.get('infer_size')
    pipeline = [
        t for t in config_test_pipeline(cfg)
        if t.get('type') not in GT_TRANSFORMS
    ]
    if from_array:
        if pipeline[0].get('type') != 'LoadRGB':
            raise ValueError('inference from arrays replaces the test '
                             "pipeline's LoadRGB, but it starts with "
                             f'{pipeline[0].get("type")!r}')
        pipeline[0] = dict(type='LoadRGBFromNDArray')
    elif pipeline[0].get('type') == 'LoadRGB':
        pipeline[0] = dict(pipeline[0], alpha=alpha)
    if input_size is not None:
        check_multiple_of_14(int(input_size), 'input_size')
        _set_resize(pipeline, 'KeepAspectResize', 'min_size',
                    int(input_size), 'input_size')
    if process_res is not None:
        _set_resize(pipeline, 'LongestSideResize', 'process_res',
                    int(process_res), 'process_res')
    return Compose([TRANSFORMS.build(t) for t in pipeline])


def _set_resize(pipeline: List[dict], kind: str, key: str, value: int,
                name: str) -> None:
    """Sets ``key`` of every ``kind`` transform, or says which size option
    the pipeline takes instead."""
    resizes = [t for t in pipeline if t.get('type') == kind]
    if not resizes:
        other = {'KeepAspectResize': 'input_size / --input-size',
                 'LongestSideResize': 'process_res / --process-res'}
        takes = [other[t['type']] for t in pipeline if t.get('type') in other]
        hint = f'; it takes {takes[0]}' if takes else ''
        raise ValueError(f'{name}={value}: the test pipeline has no {kind} '
                         f'to take it{hint}')
    for resize in resizes:
        resize[key] = value
