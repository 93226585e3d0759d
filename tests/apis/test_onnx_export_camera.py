"""A canonical-camera model with transformers' position-embedding rule,
exported once: the focal is a graph input and the graph returns metric
depth; both hold at sizes other than the export size."""
import numpy as np
import onnx
import pytest
import torch
from test_onnx_export import EXPORT_SIZE, tiny_config

from da2zoe.apis import inference, init_model
from da2zoe.apis.export import export_onnx
from da2zoe.apis.onnx_backend import OnnxDepther
from da2zoe.models.backbones.pos_embed import pos_embed_for_grid
from da2zoe.models.backbones.pos_embed_by_size import (
    pos_embed_for_grid_by_size,
)
from da2zoe.structures import DepthDataSample

CANONICAL = 100.0


def camera_config():
    cfg = tiny_config('adapter')
    cfg.model.camera = dict(canonical_focal=CANONICAL, default_focal=80.0)
    cfg.model.backbone.pos_embed_rule = 'transformers'
    return cfg


@pytest.fixture(scope='module')
def exported(tmp_path_factory):
    torch.manual_seed(0)
    model = init_model(camera_config())
    path = tmp_path_factory.mktemp('onnx') / 'camera.onnx'
    export_onnx(model, path, size=EXPORT_SIZE, dynamic=True)
    return model, str(path), OnnxDepther(path)


def pytorch_metric_depth(model, images, focals):
    """MetricDepther's own path: canonical depth, then camera.to_metric
    with each sample's focal (on the input grid, as metainfo gives it)."""
    pre = model.data_preprocessor
    height, width = images.shape[-2:]
    samples = [DepthDataSample(metainfo=dict(
        focal=f, img_shape=(height, width), ori_shape=(height, width)))
        for f in focals]
    with torch.no_grad():
        depth = model._forward((images - pre.mean) / pre.std)
    return model.camera.to_metric(depth, samples).numpy()


def test_the_rule_under_test_differs_from_dinov2s():
    """Else parity below could not tell the two resize rules apart."""
    pos_embed = torch.randn(1, 1 + 37 * 37, 8, dtype=torch.float64)
    assert not torch.allclose(pos_embed_for_grid(pos_embed, (8, 9)),
                              pos_embed_for_grid_by_size(pos_embed, (8, 9)),
                              rtol=1e-3)


def test_focal_is_a_dynamic_input(exported):
    _, path, _ = exported
    graph = onnx.load(path)
    onnx.checker.check_model(graph, full_check=True)
    inputs = {i.name: i for i in graph.graph.input}
    assert list(inputs) == ['image', 'focal']
    focal_dims = inputs['focal'].type.tensor_type.shape.dim
    image_dims = inputs['image'].type.tensor_type.shape.dim
    assert len(focal_dims) == 1
    assert focal_dims[0].dim_param == image_dims[0].dim_param != ''
    meta = {p.key: p.value for p in graph.metadata_props}
    assert 'focal' in meta['da2zoe_input']
    assert '"canonical_focal": 100.0' in meta['da2zoe_camera']


@pytest.mark.parametrize('height,width,focals', [
    (112, 126, [60.0, 150.0]),
    (196, 154, [100.0, 45.5, 300.0]),
])
def test_metric_depth_matches_pytorch_at_other_sizes(exported, height,
                                                     width, focals):
    model, _, backend = exported
    images = torch.rand(len(focals), 3, height, width,
                        generator=torch.Generator().manual_seed(height))
    got = backend.run(images.numpy(), np.array(focals))
    want = pytorch_metric_depth(model, images, focals)
    assert got.shape == (len(focals), 1, height, width)
    assert np.abs(got / want - 1).max() <= 1e-4
    # The focal scales each image: not the canonical depth.
    canonical = backend.run(images.numpy(), np.full(len(focals), CANONICAL))
    ratio = (got / canonical).reshape(len(focals), -1)
    scale = np.array(focals)[:, None] / CANONICAL
    np.testing.assert_allclose(ratio, np.broadcast_to(scale, ratio.shape),
                               rtol=1e-5)


def test_inference_api_applies_the_camera_once(exported):
    """Intrinsics at the image's size go to the graph on its input grid;
    without them the default focal; with flip TTA both passes."""
    model, path, _ = exported
    backend = init_model(model.cfg, path)
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 256, (75, 101, 3), dtype=np.uint8),
              rng.integers(0, 256, (90, 90, 3), dtype=np.uint8)]
    for intrinsics, flip in (([70.0, (120.0, 110.0, 40.0, 50.0)], False),
                             (None, True)):
        got = inference(backend, images, flip=flip, intrinsics=intrinsics)
        want = inference(model, images, flip=flip, intrinsics=intrinsics)
        for g, w in zip(got, want):
            assert g.shape == w.shape
            assert np.abs(g / w - 1).max() <= 1e-4


def test_missing_or_wrong_focal_is_named(exported):
    _, path, backend = exported
    images = np.zeros((2, 3, 56, 56), np.float32)
    with pytest.raises(ValueError, match='needs focal'):
        backend.run(images)
    with pytest.raises(ValueError, match='1 focal lengths for 2 images'):
        backend.run(images, np.array([90.0]))
    cfg = camera_config()
    cfg.model.camera.canonical_focal = 300.0
    with pytest.raises(ValueError, match='canonical_focal=100.0'):
        OnnxDepther(path, cfg)
