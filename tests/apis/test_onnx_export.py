"""ONNX export with dynamic shapes, run in ONNX Runtime at parity with
PyTorch, for both neck geometries."""
import numpy as np
import onnx
import pytest
import torch
from mmengine.config import Config

from da2zoe.apis import inference, init_model
from da2zoe.apis.export import export_onnx
from da2zoe.apis.onnx_backend import OnnxDepther
from tiny_depther import ROOT

EXPORT_SIZE = (140, 168)
# Other sizes than the export's, a batch > the example's, and 518 x 518:
# the stored 37 x 37 position grid, where DINOv2 skips the resize.
RUN_SIZES = [(1, 112, 126), (3, 196, 154)]


def tiny_config(geometry: str) -> Config:
    """A 32-wide, 4-block model of the adapter+fusion or DPT geometry."""
    name = {'adapter': 'da2zoe_vits_nyu.py', 'dpt': 'da2zoe-dpt_vits_nyu.py'}
    cfg = Config.fromfile(f'{ROOT}/configs/{name[geometry]}')
    model = cfg.model
    model.pop('pretrained', None)
    model.backbone.arch = dict(embed_dims=32, num_layers=4, num_heads=2)
    model.backbone.out_indices = (0, 1, 2, 3)
    model.neck.in_channels = 32
    if geometry == 'dpt':
        model.neck.features = 16
        model.neck.out_channels = [8, 16, 32, 32]
    else:
        model.neck.channels = 16
    model.head.update(bottleneck_channels=16, level_channels=16, n_bins=16,
                      bin_embedding_dim=16)
    cfg.test_pipeline[3].min_size = 70  # KeepAspectResize: small and fast
    return cfg


@pytest.fixture(scope='module', params=['adapter', 'dpt'])
def exported(request, tmp_path_factory):
    torch.manual_seed(0)
    model = init_model(tiny_config(request.param))
    path = tmp_path_factory.mktemp('onnx') / f'{request.param}.onnx'
    export_onnx(model, path, size=EXPORT_SIZE, dynamic=True)
    return model, str(path), OnnxDepther(path)


def reference(model, images: torch.Tensor) -> np.ndarray:
    pre = model.data_preprocessor
    with torch.no_grad():
        return model._forward((images - pre.mean) / pre.std).numpy()


def test_graph_is_valid_with_dynamic_axes(exported):
    _, path, _ = exported
    graph = onnx.load(path)
    onnx.checker.check_model(graph, full_check=True)
    dims = graph.graph.input[0].type.tensor_type.shape.dim
    assert [d.dim_param or d.dim_value for d in dims][1] == 3
    assert all(d.dim_param for i, d in enumerate(dims) if i != 1)


@pytest.mark.parametrize('batch,height,width', RUN_SIZES)
def test_onnxruntime_matches_pytorch_at_other_sizes(exported, batch, height,
                                                     width):
    model, _, backend = exported
    images = torch.rand(batch, 3, height, width,
                        generator=torch.Generator().manual_seed(height))
    got = backend.run(images.numpy())
    want = reference(model, images)
    assert got.shape == (batch, 1, height, width)
    assert np.abs(got / want - 1).max() <= 1e-4


def test_stored_position_grid_is_not_resized(exported):
    """518 = 37 patches, the stored grid: the graph's resize is then the
    identity, as DINOv2's skipped resize."""
    model, _, backend = exported
    images = torch.rand(1, 3, 518, 518,
                        generator=torch.Generator().manual_seed(1))
    got = backend.run(images.numpy())
    assert np.abs(got / reference(model, images) - 1).max() <= 1e-4


def test_inference_api_gives_the_same_depth(exported):
    """Same pipeline (resize to multiples of 14 from odd sizes), flip TTA,
    resize back and clamp as the PyTorch model."""
    model, path, _ = exported
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 256, (75, 101, 3), dtype=np.uint8),
              rng.integers(0, 256, (90, 90, 3), dtype=np.uint8)]
    backend = init_model(model.cfg, path)
    assert isinstance(backend, OnnxDepther)
    for flip in (False, True):
        got = inference(backend, images, flip=flip)
        want = inference(model, images, flip=flip)
        for g, w in zip(got, want):
            assert g.shape == w.shape and g.dtype == np.float32
            assert np.abs(g / w - 1).max() <= 1e-4


def test_the_file_carries_its_config(exported):
    model, path, _ = exported
    backend = OnnxDepther(path)  # no config given: the stored one
    assert backend.cfg.model.neck.type == model.cfg.model.neck.type
    assert (backend.min_depth, backend.max_depth) == (model.min_depth,
                                                      model.max_depth)


def test_bad_files_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.onnx'):
        OnnxDepther(tmp_path / 'nope.onnx')
    junk = tmp_path / 'junk.onnx'
    junk.write_bytes(b'not a model')
    with pytest.raises(ValueError, match='junk.onnx'):
        OnnxDepther(junk)
    # A valid ONNX model that is not a da2zoe export.
    node = onnx.helper.make_node('Identity', ['x'], ['y'])
    info = [onnx.helper.make_tensor_value_info(n, onnx.TensorProto.FLOAT,
                                               [1]) for n in 'xy']
    other = tmp_path / 'other.onnx'
    onnx.save(onnx.helper.make_model(onnx.helper.make_graph(
        [node], 'g', info[:1], info[1:])), other)
    with pytest.raises(ValueError, match='not a da2zoe export'):
        OnnxDepther(other)


def test_export_refuses_a_size_off_the_patch_grid(tmp_path):
    model = init_model(tiny_config('adapter'))
    with pytest.raises(ValueError, match='not a multiple of 14'):
        export_onnx(model, tmp_path / 'x.onnx', size=(100, 140))


def test_an_export_without_focal_input_rescales_after_the_graph(exported):
    """A camera config over a graph without ``focal`` (exported before the
    focal input): the backend applies the camera after the graph."""
    model, path, _ = exported
    cfg = model.cfg.copy()
    cfg.model.camera = dict(canonical_focal=100.0)
    backend = OnnxDepther(path, cfg)
    image = np.random.default_rng(0).integers(0, 256, (70, 84, 3), np.uint8)
    canonical = inference(model, image)
    got = inference(backend, image, intrinsics=(50.0, 50.0, 41.5, 34.5))
    np.testing.assert_allclose(got, np.clip(
        canonical * 0.5, model.min_depth, model.max_depth), rtol=1e-4)
