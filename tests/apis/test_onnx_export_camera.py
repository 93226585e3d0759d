"""A DA3Metric-shaped model (no neck, DA3 head with its sky branch and
eval-mode sky fill, canonical camera with focal (fx + fy) / 2) with
transformers' position-embedding rule, exported once: the focal is a graph
input, the graph returns metric depth and the sky score, the backend fills
the sky after it; all at sizes other than the export size."""
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
from da2zoe.testing.da3_snapshot import TINY_DA3_BACKBONE, TINY_DA3_HEAD

CANONICAL = 300.0


def camera_config():
    cfg = tiny_config('adapter')  # its test pipeline and preprocessor
    cfg.model.backbone = dict(TINY_DA3_BACKBONE,
                              pos_embed_rule='transformers')
    cfg.model.neck = None
    cfg.model.head = dict(TINY_DA3_HEAD)
    cfg.model.camera = dict(canonical_focal=CANONICAL, default_focal=200.0,
                            focal_rule='mean_fx_fy')
    return cfg


def spread_sky(model):
    """Random weights give a flat sky score far below the 0.3 threshold:
    stretch it (fewer pixels near the threshold, where float rounding
    could flip one) and centre it there, so about half the pixels are
    sky and the fill is exercised."""
    conv = model.head.scratch.sky_output_conv2[-1]  # the 1x1 to one channel
    image = torch.rand(1, 3, *EXPORT_SIZE,
                       generator=torch.Generator().manual_seed(0))
    pre = model.data_preprocessor
    with torch.no_grad():
        conv.weight.mul_(20)
        conv.bias.mul_(20)
        sky = model._forward_outputs((image - pre.mean) / pre.std)['sky']
        conv.bias.add_(model.head.sky_threshold - sky.median())


@pytest.fixture(scope='module')
def exported(tmp_path_factory):
    torch.manual_seed(0)
    model = init_model(camera_config())
    spread_sky(model)
    path = tmp_path_factory.mktemp('onnx') / 'camera.onnx'
    export_onnx(model, path, size=EXPORT_SIZE, dynamic=True)
    return model, str(path), OnnxDepther(path)


def samples_with(focals, height, width):
    """Data samples whose focal is on the input grid (H x W)."""
    return [DepthDataSample(metainfo=dict(
        focal=f, img_shape=(height, width), ori_shape=(height, width)))
        for f in focals]


def pytorch_outputs(model, images, focals):
    """The head's unfilled depth (``head_depth``) through camera.to_metric
    with each sample's focal, and the sky score."""
    pre = model.data_preprocessor
    with torch.no_grad():
        out = model._forward_outputs((images - pre.mean) / pre.std)
    samples = samples_with(focals, *images.shape[-2:])
    return (model.camera.to_metric(out['head_depth'], samples).numpy(),
            out['sky'].numpy())


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
    assert [o.name for o in graph.graph.output] == ['depth', 'sky']
    focal_dims = inputs['focal'].type.tensor_type.shape.dim
    image_dims = inputs['image'].type.tensor_type.shape.dim
    assert len(focal_dims) == 1
    assert focal_dims[0].dim_param == image_dims[0].dim_param != ''
    meta = {p.key: p.value for p in graph.metadata_props}
    assert 'focal' in meta['da2zoe_input']
    assert '"canonical_focal": 300.0' in meta['da2zoe_camera']
    assert '"quantile": 0.99' in meta['da2zoe_sky_fill']


@pytest.mark.parametrize('height,width,focals', [
    (112, 126, [60.0, 150.0]),
    (196, 154, [300.0, 45.5, 900.0]),
])
def test_metric_depth_matches_pytorch_at_other_sizes(exported, height,
                                                     width, focals):
    model, _, backend = exported
    images = torch.rand(len(focals), 3, height, width,
                        generator=torch.Generator().manual_seed(height))
    got, sky = backend.run_outputs(images.numpy(), np.array(focals))
    want, want_sky = pytorch_outputs(model, images, focals)
    assert got.shape == sky.shape == (len(focals), 1, height, width)
    assert np.abs(got / want - 1).max() <= 1e-4
    assert np.abs(sky - want_sky).max() <= 1e-4 * np.abs(want_sky).max()
    # Both sides of the threshold: the fill below is not vacuous.
    assert 0.2 < (sky >= model.head.sky_threshold).mean() < 0.8
    # Predicted: the backend's sky fill after the graph = the head's own.
    pre = model.data_preprocessor
    inputs = (images - pre.mean) / pre.std
    samples = samples_with(focals, height, width)
    depth, sky_score = backend.predict_depth_and_sky(inputs, samples)
    want_depth, _ = model.predict_depth_and_sky(inputs, samples)
    changed = np.abs(depth.numpy() / got - 1) > 1e-3  # the sky pixels
    assert changed.mean() > 0.2
    assert float((depth / want_depth - 1).abs().max()) <= 1e-4
    np.testing.assert_allclose(sky_score.numpy(), sky, rtol=1e-5,
                               atol=1e-6)  # input un-normalised: rounding
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
        got = inference(backend, images, flip=flip, intrinsics=intrinsics,
                        return_sky=True)
        want = inference(model, images, flip=flip, intrinsics=intrinsics,
                         return_sky=True)
        for (g, g_sky), (w, w_sky) in zip(got, want):
            assert g.shape == w.shape == g_sky.shape
            assert np.abs(g / w - 1).max() <= 1e-4
            assert np.abs(g_sky - w_sky).max() <= 1e-4 * w_sky.max()


def test_missing_or_wrong_focal_is_named(exported):
    _, path, backend = exported
    images = np.zeros((2, 3, 56, 56), np.float32)
    with pytest.raises(ValueError, match='needs focal'):
        backend.run(images)
    with pytest.raises(ValueError, match='1 focal lengths for 2 images'):
        backend.run(images, np.array([90.0]))
    cfg = camera_config()
    cfg.model.camera.canonical_focal = 100.0
    with pytest.raises(ValueError, match='canonical_focal=300.0'):
        OnnxDepther(path, cfg)
