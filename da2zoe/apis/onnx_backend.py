"""ONNX Runtime backend: an exported depther that predicts like the model.

:class:`OnnxDepther` has the interface :func:`da2zoe.apis.inference` uses
(``cfg``, ``test_cfg``, ``test_step``), so an exported model goes through the
same test pipeline, the same data preprocessor (padding, in-model resize)
and the same post-processing (crop, bilinear resize to the image, clamp) as
the PyTorch model; only the network runs in ONNX Runtime.
"""
import json
import os
from typing import Iterable, List, Optional, Union

import numpy as np
import torch
from mmengine.config import Config

from da2zoe.models.depthers.metric_depther import MetricDepther
from da2zoe.models.heads.sky_fill import fill_sky_depth
from da2zoe.registry import MODELS
from da2zoe.structures import DepthDataSample
from da2zoe.structures.camera import CanonicalCamera
from .export import (
    CAMERA_KEY,
    FOCAL_NAME,
    INPUT_NAME,
    METADATA_KEYS,
    SKY_FILL_KEY,
)


def _session(onnx_file: str, threads: Optional[int],
             providers: Optional[Iterable[str]]):
    """An ONNX Runtime session (``onnxruntime.InferenceSession``)."""
    # Imported here: `import da2zoe.apis` must not load ONNX Runtime (and
    # onnx) for users who never run an exported model.
    import onnxruntime as ort
    options = ort.SessionOptions()
    if threads:
        options.intra_op_num_threads = int(threads)
    options.graph_optimization_level = (
        ort.GraphOptimizationLevel.ORT_ENABLE_ALL)
    try:
        return ort.InferenceSession(
            onnx_file, options,
            providers=list(providers or ['CPUExecutionProvider']))
    except Exception as err:  # ORT raises its own untyped errors
        raise ValueError(f'Cannot load ONNX model {onnx_file!r}: {err}') \
            from err


class OnnxDepther:
    """An exported depther (``tools/deployment/export_onnx.py``) in ONNX
    Runtime, predicting like ``MetricDepther.predict``.

    A canonical-camera export (graph input ``focal``) gets each sample's
    focal on the input grid from ``camera.focal_of`` (its intrinsics, else
    the camera's default) and returns metric depth itself; an export
    without that input of a camera config is rescaled after the graph.

    Args:
        onnx_file (str | os.PathLike): The ``.onnx`` file.
        config (str | os.PathLike | Config, optional): The model's config
            (test pipeline, preprocessor, ``test_cfg``). Defaults to None:
            the config stored in the file at export.
        threads (int, optional): ONNX Runtime intra-op threads. Defaults to
            None (ONNX Runtime's default: one per core).
        providers (Iterable[str], optional): Execution providers. Defaults
            to ``['CPUExecutionProvider']``.

    Raises:
        ValueError: If the file is not a da2zoe export, has no config
            and none is given, or its canonical focal differs from the
            config's (the file is named).
    """

    # One post-processing for both backends: flip TTA, camera rescale,
    # crop, resize to the image and clamp run MetricDepther's own code
    # around this class's _forward.
    predict = MetricDepther.predict
    predict_depth = MetricDepther.predict_depth
    _to_target = staticmethod(MetricDepther._to_target)
    _target_size = staticmethod(MetricDepther._target_size)

    def __init__(self,
                 onnx_file: Union[str, os.PathLike],
                 config: Optional[Union[str, os.PathLike, Config]] = None,
                 threads: Optional[int] = None,
                 providers: Optional[Iterable[str]] = None) -> None:
        onnx_file = os.fspath(onnx_file)
        if not os.path.isfile(onnx_file):
            raise FileNotFoundError(f'ONNX model {onnx_file!r} not found')
        self.onnx_file = onnx_file
        self.session = _session(onnx_file, threads, providers)
        meta = self.session.get_modelmeta().custom_metadata_map
        missing = [k for k in METADATA_KEYS if k not in meta]
        inputs = [i.name for i in self.session.get_inputs()]
        if missing or inputs not in ([INPUT_NAME], [INPUT_NAME, FOCAL_NAME]):
            raise ValueError(
                f'{onnx_file!r} is not a da2zoe export (inputs {inputs}, '
                f'missing metadata {missing}); write one with '
                'tools/deployment/export_onnx.py')
        self.cfg = self._config(config, meta['da2zoe_config'])
        model_cfg = self.cfg.get('model') or {}
        self.test_cfg = dict(model_cfg.get('test_cfg') or {})
        self.data_preprocessor = MODELS.build(
            model_cfg.get('data_preprocessor')
            or dict(type='DepthDataPreprocessor'))
        self.min_depth = float(meta['da2zoe_min_depth'])
        self.max_depth = float(meta['da2zoe_max_depth'])
        self.camera = self._camera(meta, model_cfg.get('camera'),
                                   FOCAL_NAME in inputs)
        #: Each image's focal (B,) for the graph, set while predicting.
        self._focal: Optional[np.ndarray] = None
        #: DA3's sky fill, applied after the graph (threshold, quantile).
        fill = meta.get(SKY_FILL_KEY)
        self.sky_fill = None if fill is None else json.loads(fill)

    def _camera(self, meta: dict, configured: Optional[dict],
                graph_focal: bool) -> Optional[CanonicalCamera]:
        """The canonical camera, if any; the graph's own when it takes a
        focal (it rescales inside), else the config's (rescaled here, after
        the graph, as files exported before the focal input do)."""
        self.graph_focal = graph_focal
        if not graph_focal:
            return None if configured is None else CanonicalCamera(
                **configured)
        if CAMERA_KEY not in meta:
            raise ValueError(f'{self.onnx_file!r} takes {FOCAL_NAME!r} but '
                             f'has no {CAMERA_KEY!r} metadata')
        stored = json.loads(meta[CAMERA_KEY])
        if configured is not None and float(configured.get(
                'canonical_focal', 0)) != stored['canonical_focal']:
            raise ValueError(
                f"{self.onnx_file!r} was exported with canonical_focal="
                f"{stored['canonical_focal']}, the config has "
                f"model.camera.canonical_focal="
                f"{configured.get('canonical_focal')}")
        return CanonicalCamera(**(configured or stored))

    def _config(self, config, stored: str) -> Config:
        if isinstance(config, Config):
            return config
        if config is not None:
            return Config.fromfile(os.fspath(config))
        if not stored:
            raise ValueError(f'{self.onnx_file!r} stores no config; pass '
                             'the config file')
        return Config.fromstring(stored, '.py')

    @property
    def device(self) -> torch.device:
        """Where inputs and outputs live (ONNX Runtime takes host memory)."""
        return torch.device('cpu')

    def run(self, images: np.ndarray,
            focal: Optional[np.ndarray] = None) -> np.ndarray:
        """The graph itself: (B, 3, H, W) float32 RGB in [0, 1] ->
        (B, 1, H, W) metres (raw, unclamped; a DA3 head's depth before its
        sky fill, see :meth:`run_outputs`).

        Args:
            images (np.ndarray): (B, 3, H, W) RGB in [0, 1].
            focal (np.ndarray, optional): (B,) focal lengths in pixels of
                ``images`` (a canonical-camera export needs them, any other
                refuses them). Defaults to None.

        Returns:
            np.ndarray: (B, 1, H, W) float32 metres.
        """
        return self.run_outputs(images, focal)[0]

    def run_outputs(self, images: np.ndarray,
                    focal: Optional[np.ndarray] = None) -> list:
        """Every output of the graph: ``[depth]``, or ``[depth, sky]``
        for a head with a sky branch (arguments as :meth:`run`)."""
        feed = {INPUT_NAME: np.ascontiguousarray(images, dtype=np.float32)}
        if self.graph_focal != (focal is not None):
            raise ValueError(
                f'{self.onnx_file}: ' + (
                    f'a canonical-camera export needs {FOCAL_NAME} (B,), '
                    "each image's focal in input pixels" if
                    self.graph_focal else 'this export takes no focal'))
        if focal is not None:
            focal = np.ascontiguousarray(focal, dtype=np.float32).reshape(-1)
            if len(focal) != len(images):
                raise ValueError(f'{self.onnx_file}: {len(focal)} focal '
                                 f'lengths for {len(images)} images')
            feed[FOCAL_NAME] = focal
        return self.session.run(None, feed)

    def predict_depth_and_sky(self, inputs: torch.Tensor,
                              data_samples: Optional[list] = None) -> tuple:
        """``MetricDepther.predict_depth_and_sky`` (flip TTA, camera);
        a graph with a focal input gets each sample's focal (the flipped
        pass too) and rescales inside."""
        if self.graph_focal:
            scale = self.camera.metric_scale(
                data_samples, len(inputs), torch.empty(0, dtype=torch.float64))
            self._focal = (scale.view(-1) * self.camera.canonical_focal
                           ).numpy()
        try:
            return MetricDepther.predict_depth_and_sky(
                self, inputs, data_samples)
        finally:
            self._focal = None

    def _to_metric(self, depth: torch.Tensor,
                   data_samples: Optional[list]) -> torch.Tensor:
        if self.graph_focal:  # the graph rescaled already
            return depth
        return MetricDepther._to_metric(self, depth, data_samples)

    def _forward_outputs(self, inputs: torch.Tensor) -> dict:
        """Normalised inputs (as the data preprocessor makes them) -> the
        head's output dict: ``metric_depth`` (sky filled as the head does
        in eval mode) and ``sky`` when the graph has it.

        The graph normalises itself, so the preprocessor's normalisation is
        undone first (float32 rounding: ~1e-7 on the input).
        """
        pre = self.data_preprocessor
        images = inputs.float() * pre.std.float() + pre.mean.float()
        outputs = [torch.from_numpy(o) for o in self.run_outputs(
            images.cpu().numpy(), self._focal)]
        out = dict(metric_depth=outputs[0])
        if len(outputs) > 1:
            out['sky'] = outputs[1]
            if self.sky_fill is not None:
                out['metric_depth'] = fill_sky_depth(
                    outputs[0], outputs[1], self.sky_fill['threshold'],
                    self.sky_fill['quantile'])
        return out

    def _forward(self, inputs: torch.Tensor) -> torch.Tensor:
        """Normalised inputs -> depth (B, 1, H, W), sky filled."""
        return self._forward_outputs(inputs)['metric_depth']

    @torch.no_grad()
    def test_step(self, data: dict) -> List[DepthDataSample]:
        """Preprocesses a packed batch and predicts, as ``BaseModel`` does.

        Args:
            data (dict): ``inputs`` (uint8 (3, H, W) tensors) and
                ``data_samples``, as the inference pipeline packs them.

        Returns:
            list[DepthDataSample]: Samples with ``pred_depth``.

        Raises:
            ValueError: If a preprocessed side is not a multiple of 14.
        """
        data = self.data_preprocessor(data, False)
        inputs = data['inputs']
        if any(side % 14 for side in inputs.shape[-2:]):
            raise ValueError(f'{self.onnx_file}: input {tuple(inputs.shape)} '
                             'has a side that is not a multiple of 14')
        fixed = self.session.get_inputs()[0].shape
        for axis, (want, got) in enumerate(zip(fixed, inputs.shape)):
            if isinstance(want, int) and want != got:
                raise ValueError(
                    f'{self.onnx_file} is a static export for input '
                    f'{tuple(fixed)}, got {tuple(inputs.shape)} (axis '
                    f'{axis}); export with --dynamic, or set --input-size '
                    'so the pipeline gives that size')
        return self.predict(inputs, data['data_samples'])


def is_onnx_file(path: Union[str, os.PathLike, None]) -> bool:
    """True for a path ending in ``.onnx``."""
    return path is not None and os.fspath(path).lower().endswith('.onnx')
