"""ONNX export of a depther: RGB in [0, 1] -> metric depth, in one graph."""
import contextlib
import copy
import json
import os
from typing import Iterator, Optional, Sequence, Tuple, Union

import torch
from torch import Tensor, nn

from da2zoe.structures.patch_grid import PATCH_SIZE, check_multiple_of_14

INPUT_NAME = 'image'
FOCAL_NAME = 'focal'  # second input of a canonical-camera model
OUTPUT_NAME = 'depth'
SKY_NAME = 'sky'  # second output of a head with a sky branch (DA3)
DEFAULT_OPSET = 18  # Resize/Pad/ReduceMean forms of opset 18; TensorRT 8.6+
MAX_PATCHES = 512  # dynamic sides up to 512 * 14 = 7168 pixels
METADATA_KEYS = ('da2zoe_input', 'da2zoe_min_depth', 'da2zoe_max_depth',
                 'da2zoe_mean', 'da2zoe_std', 'da2zoe_config')
#: Written only for a canonical-camera model (JSON of its camera).
CAMERA_KEY = 'da2zoe_camera'
#: Written only for a head that fills sky in eval mode (JSON: threshold,
#: quantile): the fill runs after the graph.
SKY_FILL_KEY = 'da2zoe_sky_fill'


class DepthExportModule(nn.Module):
    """The graph an exported depther computes.

    Input ``image``: float RGB in [0, 1], (B, 3, H, W), H and W multiples of
    14 (the test pipeline's sizes). The data preprocessor's normalisation
    ``(image - mean) / std`` runs in the graph; padding, test-time flips,
    the resize back to the image's size and the clamp to the depth range
    stay outside (:mod:`da2zoe.apis.onnx_backend` does them as
    ``MetricDepther.predict`` does). Output ``depth``: (B, 1, H, W) metres,
    the head's raw depth.

    A model with a canonical camera (``model.camera``) takes a second input,
    ``focal`` (B,): each image's focal length in pixels of the graph's input
    (its H x W, not the original image's), by the camera's ``focal_rule``;
    the graph returns metric depth, the canonical depth times
    ``focal / canonical_focal`` (``CanonicalCamera.to_metric``). Without
    it a deployed file would silently return depth of the wrong scale.

    A head with a sky branch (Depth Anything 3) adds the output ``sky``
    (B, 1, H, W); its eval-mode sky fill (each image's sky pixels get a
    quantile of its other depths: a data-dependent count and sort the
    exporter cannot trace) is left out of the graph, so ``depth`` is the
    head's unfilled depth and the runtime applies
    :func:`~da2zoe.models.heads.sky_fill.fill_sky_depth` after it
    (:class:`~da2zoe.apis.onnx_backend.OnnxDepther` does).

    Args:
        model (nn.Module): A ``MetricDepther`` (``_forward`` and a
            ``data_preprocessor`` with ``mean`` / ``std``).
        half (bool): Run the network in float16 (input and output stay
            float32); ``model`` must already be float16. Defaults to False.
    """

    def __init__(self, model: nn.Module, half: bool = False) -> None:
        super().__init__()
        self.model = model
        preprocessor = model.data_preprocessor
        mean, std = preprocessor.mean.float(), preprocessor.std.float()
        self.register_buffer('mean', mean.view(1, 3, 1, 1).clone())
        self.register_buffer('std', std.view(1, 3, 1, 1).clone())
        self.half = half
        camera = getattr(model, 'camera', None)
        self.canonical_focal = (None if camera is None else
                                float(camera.canonical_focal))

    def forward(self, image: Tensor,
                focal: Optional[Tensor] = None
                ) -> Union[Tensor, Tuple[Tensor, Tensor]]:
        x = (image - self.mean) / self.std
        if self.half:
            x = x.half()
        with sky_fill_outside(self.model):
            out = self.model._forward_outputs(x)
        depth = out['metric_depth'].float()
        if self.canonical_focal is not None:
            if focal is None:
                raise ValueError(
                    'this model has a canonical camera: pass focal (B,), '
                    "each image's focal length in pixels of the input")
            depth = depth * (focal.float() / self.canonical_focal).view(
                -1, 1, 1, 1)
        if out.get('sky') is None:
            return depth
        return depth, out['sky'].float()

    def depth(self, *inputs: Tensor) -> Tensor:
        """The ``depth`` output alone (``forward``'s arguments)."""
        return _as_tuple(self(*inputs))[0]

    def example_inputs(self, image: Tensor) -> tuple:
        """The graph's inputs for ``image``: ``(image,)``, or ``(image,
        focal)`` with the canonical focal (scale 1) for a camera model."""
        if self.canonical_focal is None:
            return (image, )
        return image, image.new_full((len(image), ), self.canonical_focal)


@contextlib.contextmanager
def sky_fill_outside(model: nn.Module) -> Iterator[Optional[dict]]:
    """Turns a head's eval-mode sky fill off for the block.

    Args:
        model (nn.Module): A depther; heads without ``fill_sky`` are left
            alone.

    Yields:
        dict | None: ``threshold`` and ``quantile`` of the fill that was
        on, else None.
    """
    head = getattr(model, 'head', None)
    if not getattr(head, 'fill_sky', False):
        yield None
        return
    head.fill_sky = False
    try:
        yield dict(threshold=float(head.sky_threshold),
                   quantile=float(head.sky_quantile))
    finally:
        head.fill_sky = True


def export_metadata(model: nn.Module) -> dict:
    """What a runtime needs besides the graph, as ONNX metadata strings.

    Args:
        model (nn.Module): The depther; its ``cfg`` (when set) is stored
            as text so the ONNX file runs without the config file.

    Returns:
        dict[str, str]: ``METADATA_KEYS`` (and ``CAMERA_KEY`` for a
        canonical-camera model) to values.
    """
    preprocessor = model.data_preprocessor
    cfg = getattr(model, 'cfg', None)
    meta = {
        'da2zoe_input': 'float32 RGB in [0, 1], NCHW, H and W multiples '
        'of 14',
        'da2zoe_min_depth': repr(float(model.min_depth)),
        'da2zoe_max_depth': repr(float(model.max_depth)),
        'da2zoe_mean': json.dumps(preprocessor.mean.flatten().tolist()),
        'da2zoe_std': json.dumps(preprocessor.std.flatten().tolist()),
        'da2zoe_config': cfg.pretty_text if cfg is not None else '',
    }
    camera = getattr(model, 'camera', None)
    if camera is not None:
        meta['da2zoe_input'] += (
            '; focal (B,) float32: focal length in pixels of the input '
            f'({camera.focal_rule}), depth = canonical x focal / '
            f'{camera.canonical_focal:g}')
        meta[CAMERA_KEY] = json.dumps(dict(
            canonical_focal=camera.canonical_focal,
            default_focal=camera.default_focal,
            focal_rule=camera.focal_rule,
            default_hfov=camera.default_hfov))
    with sky_fill_outside(model) as fill:
        if fill is not None:
            meta[SKY_FILL_KEY] = json.dumps(fill)
    return meta


def _dynamic_shapes(dynamic: bool, camera: bool) -> Optional[tuple]:
    if not dynamic:
        return None
    dim = torch.export.Dim
    batch = dim('batch', min=1, max=1024)
    rows = dim('rows', min=1, max=MAX_PATCHES)
    cols = dim('cols', min=1, max=MAX_PATCHES)
    # Multiples of 14 by construction: the patch grid stays symbolic.
    image = {0: batch, 2: PATCH_SIZE * rows, 3: PATCH_SIZE * cols}
    return (image, {0: batch}) if camera else (image, )


def export_onnx(model: nn.Module,
                out_file: Union[str, os.PathLike],
                size: Sequence[int] = (392, 518),
                dynamic: bool = True,
                opset: int = DEFAULT_OPSET,
                fp16: bool = False,
                batch_size: int = 1,
                verbose: bool = False) -> str:
    """Exports a depther to ONNX with the dynamo exporter.

    The graph is :class:`DepthExportModule`: input ``image`` (and ``focal``
    for a canonical-camera model), output ``depth`` in metres.

    Args:
        model (nn.Module): A ``MetricDepther`` in eval mode (e.g. from
            :func:`da2zoe.apis.init_model`), float32, on the CPU.
        out_file (str | os.PathLike): The ``.onnx`` file to write.
        size (Sequence[int]): Example (H, W), multiples of 14; the only
            size a static export accepts. Defaults to (392, 518).
        dynamic (bool): Dynamic batch, height and width (any multiple of
            14 up to ``14 * MAX_PATCHES``). Defaults to True.
        opset (int): ONNX opset. Defaults to 18.
        fp16 (bool): float16 weights and activations (float32 input and
            output; the normalisation runs in float32 first). A float16
            copy is exported, ``model`` stays float32. ONNX Runtime's CPU
            provider runs it but is not faster with it (see the README);
            it is meant for GPU runtimes. Defaults to False.
        batch_size (int): The batch of a static export. Defaults to 1. A
            dynamic export traces a batch of at least 2 (1 would fix the
            batch dimension to 1).
        verbose (bool): Print the exporter's progress. Defaults to False.

    Returns:
        str: ``out_file``.

    Raises:
        ValueError: If a side of ``size`` is not a multiple of 14, or the
            model lacks what the graph needs.
    """
    height, width = (int(s) for s in size)
    check_multiple_of_14(height, 'export height')
    check_multiple_of_14(width, 'export width')
    for attr in ('_forward', 'data_preprocessor', 'min_depth'):
        if not hasattr(model, attr):
            raise ValueError(f'export_onnx needs a MetricDepther; '
                             f'{type(model).__name__} has no {attr!r}')
    # A float16 copy: the user's model stays float32, and the exported
    # program keeps references to the half weights until it is saved.
    network = copy.deepcopy(model).half() if fp16 else model
    module = DepthExportModule(network.eval(), half=fp16).eval()
    example = module.example_inputs(torch.rand(
        max(int(batch_size), 2) if dynamic else int(batch_size), 3, height,
        width))
    names = [INPUT_NAME, FOCAL_NAME][:len(example)]
    with torch.no_grad():  # a sky branch is a second output
        outputs = [OUTPUT_NAME, SKY_NAME][:len(_as_tuple(module(*example)))]
    out_file = os.fspath(out_file)
    os.makedirs(os.path.dirname(os.path.abspath(out_file)), exist_ok=True)
    with torch.no_grad():
        program = torch.onnx.export(
            module, example, dynamo=True, opset_version=opset,
            input_names=names, output_names=outputs,
            dynamic_shapes=_dynamic_shapes(dynamic, len(example) == 2),
            external_data=False, verbose=verbose, report=False)
    for key, value in export_metadata(model).items():
        program.model.metadata_props[key] = value
    program.save(out_file, external_data=False)
    return out_file


def _as_tuple(value) -> tuple:
    return value if isinstance(value, tuple) else (value, )


def check_export_size(size: Sequence[int]) -> Tuple[int, int]:
    """``(H, W)`` as ints, each a multiple of 14 (the error names it)."""
    height, width = (int(s) for s in size)
    check_multiple_of_14(height, '--size H')
    check_multiple_of_14(width, '--size W')
    return height, width


def quantize_onnx_dynamic(src: Union[str, os.PathLike],
                          dst: Union[str, os.PathLike]) -> str:
    """int8 weights with ONNX Runtime's dynamic quantiser.

    MatMul and Gemm weights become int8 (activations are quantised per
    batch at run time); convolutions stay float32 (ONNX Runtime's dynamic
    ConvInteger has no CPU kernel for every layout). The metadata is kept.

    Args:
        src (str | os.PathLike): A float32 export.
        dst (str | os.PathLike): Where the int8 model goes.

    Returns:
        str: ``dst``.
    """
    # Imported here: the quantiser loads onnx and ONNX Runtime.
    from onnxruntime.quantization import QuantType, quantize_dynamic
    quantize_dynamic(os.fspath(src), os.fspath(dst),
                     op_types_to_quantize=['MatMul', 'Gemm'],
                     weight_type=QuantType.QInt8)
    return os.fspath(dst)
