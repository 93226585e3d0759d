"""The record of how an evaluation was obtained, kept with its numbers.

Two numbers compare only when their protocols do: the same crop, depth
range, SILog definition, flip averaging, input size rule and interpolation.
``tools/test.py`` writes this record into its JSON (``protocol``) and
prints its summary above the table.
"""
import hashlib
import os
import platform
from importlib import metadata
from typing import Any, Dict, Iterable, Optional, Sequence

from da2zoe.version import __version__
from .alignment import MIN_ALIGN_PIXELS

LIBRARIES = ('torch', 'mmengine', 'mmcv-lite', 'mmcv', 'numpy',
             'opencv-python-headless')
METRIC_RULES = dict(
    prediction='resized to the GT grid bilinearly (align_corners=True), '
    'clipped to the evaluation range (inf -> max, NaN -> min)',
    valid='eval_min_depth < gt < eval_max_depth (strict), inside the crop '
    'and the decoded validity mask',
    silog='ZoeDepth: 100 * sqrt(mean(e^2) - mean(e)^2), e = ln pred - ln gt',
    silog_da2='DA-V2: sqrt(mean(e^2) - 0.5 * mean(e)^2)',
    averaging='per image, then the mean over images')
ALIGNMENT_RULES = {
    None: 'none (metric depth as predicted)',
    'median': 'relative: prediction x median(gt) / median(pred) per image, '
    'on the scored pixels, before clipping',
    'least_squares': 'relative: least-squares scale and shift in depth '
    '(s * p + t ~ gt, p the predicted depth or 1 / the predicted '
    'disparity) per image, on the scored pixels, before clipping',
    'least_squares_disparity': 'relative: least-squares scale and shift in '
    'disparity (s * q + t ~ 1 / gt, q the predicted disparity or 1 / the '
    'predicted depth) per image, on the scored pixels; depth = '
    '1 / (s * q + t) (+inf where <= 0), then clipped',
}
DEGENERATE_RULE = ('images with fewer than {} scored pixels the fit can '
                   'use, or a prediction it cannot fit (constant), are '
                   'skipped by name and counted')


def file_sha256(path: str, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file, read in chunks.

    Args:
        path (str): The file.
        chunk (int): Bytes per read. Defaults to 1 MiB.
    """
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(chunk), b''):
            digest.update(block)
    return digest.hexdigest()


def library_versions() -> Dict[str, str]:
    """Python and the installed versions of the libraries that change
    numbers."""
    versions = dict(python=platform.python_version(), da2zoe=__version__)
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def input_rule(preprocessor: Optional[dict],
               transforms: Sequence[Any]) -> Dict[str, Any]:
    """How images reach the encoder: the pipeline's resize and the model's.

    Args:
        preprocessor (dict, optional): The data preprocessor config.
        transforms (Sequence): The test pipeline's built transforms.
    """
    rule: Dict[str, Any] = dict(
        pipeline=[type(t).__name__ for t in transforms])
    for transform in transforms:
        if type(transform).__name__ == 'KeepAspectResize':
            rule['pipeline_resize'] = dict(
                rule='keep aspect, shorter side >= bound, multiples of 14',
                min_size=list(transform.min_size),
                interpolation=f'{transform.interpolation} (OpenCV, uint8)')
        if type(transform).__name__ == 'LongestSideResize':
            rule['pipeline_resize'] = dict(
                rule='Depth Anything 3: longest side to process_res, then '
                'each side to the nearest multiple of 14',
                process_res=transform.process_res,
                interpolation='cubic up / area down (OpenCV, uint8)')
    resize = (preprocessor or {}).get('input_resize')
    if resize:
        rule['model_resize'] = dict(
            rule='MiDaS Resize on the [0, 1] float image',
            **{key: list(value) if isinstance(value, tuple) else value
               for key, value in dict(resize).items()})
    if 'pipeline_resize' not in rule and 'model_resize' not in rule:
        rule['resize'] = 'none: padded to a multiple of 14'
    return rule


def _camera_rule(camera: Optional[dict]) -> Any:
    """How the prediction is rescaled by each sample's focal, if at all."""
    if not camera:
        return 'none: the head predicts metric depth'
    camera = dict(camera)
    rule = camera.get('focal_rule', 'fx')
    focal = 'fx' if rule == 'fx' else '(fx + fy) / 2'
    return dict(
        rule=f'depth x {focal} / canonical_focal, focal in input pixels of '
        "each sample's own camera",
        canonical_focal=camera.get('canonical_focal'),
        default_focal=camera.get('default_focal'),
        default_hfov=camera.get('default_hfov'),
        focal_rule=rule)


def protocol_record(config: str,
                    checkpoint: str,
                    model_cfg: dict,
                    datasets: Iterable[Any],
                    checksum: bool = True,
                    align: Optional[str] = None,
                    pred_space: str = 'depth',
                    min_align_pixels: int = MIN_ALIGN_PIXELS
                    ) -> Dict[str, Any]:
    """Everything that decides an evaluation's numbers besides the weights'
    values.

    Args:
        config (str): The config file.
        checkpoint (str): The checkpoint file.
        model_cfg (dict): The config's ``model`` (flip, preprocessor).
        datasets (Iterable): The built test datasets; each has a
            ``sample_spec`` (name, evaluation range and crop) and a
            ``pipeline`` with its ``transforms``.
        checksum (bool): Hash the checkpoint (reads the whole file).
            Defaults to True.
        align (str, optional): ``DepthMetric``'s alignment of relative
            predictions (one of
            :data:`~da2zoe.evaluation.alignment.ALIGNMENTS`). Defaults to
            None (none: metric).
        pred_space (str): What the model predicts, ``'depth'`` or
            ``'disparity'``. Defaults to ``'depth'``.
        min_align_pixels (int): ``DepthMetric``'s fewest pixels of an
            aligned image. Defaults to 16.

    Returns:
        dict: JSON-serialisable record.
    """
    test_cfg = dict(model_cfg.get('test_cfg') or {})
    aligned = {} if align is None else dict(
        degenerate=DEGENERATE_RULE.format(min_align_pixels))
    record: Dict[str, Any] = dict(
        config=os.path.abspath(config),
        checkpoint=dict(path=os.path.abspath(checkpoint)),
        flip=bool(test_cfg.get('flip', False)),
        camera=_camera_rule(model_cfg.get('camera')),
        metrics=dict(METRIC_RULES, pred_space=pred_space, align=align,
                     alignment=ALIGNMENT_RULES[align], **aligned),
        datasets={},
        versions=library_versions())
    if checksum and os.path.isfile(checkpoint):
        record['checkpoint']['sha256'] = file_sha256(checkpoint)
    for dataset in datasets:
        spec = getattr(dataset, 'sample_spec', None)
        if spec is None:
            continue
        crop = spec.get('eval_crop')
        record['datasets'][spec['dataset_name']] = dict(
            type=type(dataset).__name__,
            eval_min_depth=spec.get('eval_min_depth'),
            eval_max_depth=spec.get('eval_max_depth'),
            eval_crop=list(crop) if isinstance(crop, tuple) else crop,
            depth_decoder=spec.get('depth_decoder'),
            input=input_rule(model_cfg.get('data_preprocessor'),
                             getattr(dataset.pipeline, 'transforms', ())))
    return record


def protocol_summary(record: Dict[str, Any]) -> str:
    """A few lines for the log, above the results table.

    Args:
        record (dict): A :func:`protocol_record`.
    """
    sha = record['checkpoint'].get('sha256', 'not computed')
    lines = [f"checkpoint {record['checkpoint']['path']} (sha256 {sha})",
             f"config {record['config']}; flip averaging "
             f"{'on' if record['flip'] else 'off'}; silog = ZoeDepth x100; "
             f"model predicts {record['metrics']['pred_space']}; "
             f"alignment: {record['metrics']['alignment']}"]
    camera = record.get('camera')
    if isinstance(camera, dict):
        lines.append(f"canonical camera: {camera['rule']} "
                     f"({camera['canonical_focal']})")
    for name, spec in record['datasets'].items():
        inputs = spec['input']
        if 'model_resize' in inputs:
            resize = inputs['model_resize']
            # A config names only the keys it changes (no align_corners
            # with 'cv2_bicubic', which ignores it).
            how = (f"in the model to {resize['size']} (" + ', '.join(
                f'{key}={resize[key]}' for key in
                ('resize_method', 'interpolation', 'align_corners')
                if key in resize) + ')')
        elif 'pipeline_resize' in inputs:
            resize = inputs['pipeline_resize']
            how = (f"pipeline longest side {resize['process_res']}, "
                   'sides to the nearest multiple of 14'
                   if 'process_res' in resize else
                   f"pipeline keep-aspect >= {resize['min_size']} "
                   f"({resize['interpolation']})")
        else:
            how = inputs['resize']
        lines.append(
            f"{name}: {spec['eval_min_depth']} < gt < "
            f"{spec['eval_max_depth']} m, crop {spec['eval_crop']}, "
            f'input {how}')
    versions = ', '.join(f'{k} {v}' for k, v in record['versions'].items())
    lines.append(f'versions: {versions}')
    return '\n'.join(lines)
