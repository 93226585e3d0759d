"""Focal-aware inference (inference(intrinsics=), --hfov) and
--align-sparse in tools/infer.py (da2zoe.cli.infer)."""

import cv2
import numpy as np
import pytest
from mmengine.config import Config

from da2zoe.apis import inference, init_model
from da2zoe.apis.align import align_to_sparse
from da2zoe.cli import infer as infer_cli
from da2zoe.testing import render_scene
from tiny_depther import write_tiny_model


@pytest.fixture(scope='module')
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp('infer_camera')
    config, checkpoint = write_tiny_model(str(root), infer_size=56)
    cfg = Config.fromfile(config)
    cfg.model.camera = dict(canonical_focal=100.0)
    camera_config = str(root / 'tiny_camera.py')
    cfg.dump(camera_config)
    scene = render_scene(1, 0, (56, 84))
    cv2.imwrite(str(root / 'scene.png'), scene.rgb[..., ::-1])
    return root, config, camera_config, checkpoint, scene


def test_prediction_scales_with_the_given_focal(setup):
    _, _, camera_config, checkpoint, scene = setup
    model = init_model(camera_config, checkpoint)
    lo = model.min_depth
    near = inference(model, scene.rgb, rgb=True, intrinsics=40.0)
    far = inference(model, scene.rgb, rgb=True,
                    intrinsics=(80.0, 80.0, 41.5, 27.5))
    inside = (near > lo * 1.01) & (far < model.max_depth * 0.99)
    assert inside.mean() > 0.5
    assert np.allclose(far[inside], 2 * near[inside], rtol=1e-5)
    with pytest.raises(ValueError, match='no focal length'):
        inference(model, scene.rgb, rgb=True)
    with pytest.raises(ValueError, match='intrinsics of image 0'):
        inference(model, scene.rgb, rgb=True, intrinsics=-5.0)


def test_per_image_focals_are_never_read_as_one_camera(setup):
    """Four focals for four images would parse as one (fx, fy, cx, cy)
    camera: refused as ambiguous; a tuple is one camera, dicts are one
    each."""
    _, _, camera_config, checkpoint, scene = setup
    model = init_model(camera_config, checkpoint)
    images = [scene.rgb] * 4
    with pytest.raises(ValueError, match='a list of 4 numbers for 4 images '
                       'is ambiguous'):
        inference(model, images, rgb=True, intrinsics=[40.0, 80, 41.5, 27.5])
    shared = inference(model, images, rgb=True,
                       intrinsics=(40.0, 40.0, 41.5, 27.5))
    each = inference(model, images, rgb=True,
                     intrinsics=[dict(fx=f) for f in (40.0, 80, 40, 80)])
    alone = inference(model, scene.rgb, rgb=True, intrinsics=40.0)
    for depth in shared:  # batched: float32 rounding of another batch size
        np.testing.assert_allclose(depth, alone, rtol=1e-5)
    np.testing.assert_allclose(each[0], alone, rtol=1e-5)
    inside = (alone > model.min_depth * 1.01) & (
        each[1] < model.max_depth * 0.99)
    assert np.allclose(each[1][inside], 2 * alone[inside], rtol=1e-5)
    # Two images: four numbers can only be one camera.
    two = inference(model, images[:2], rgb=True,
                    intrinsics=[40.0, 40.0, 41.5, 27.5])
    np.testing.assert_allclose(two[1], alone, rtol=1e-5)


def test_infer_hfov_and_align_sparse(setup, capsys):
    root, config, _, checkpoint, scene = setup
    rng = np.random.default_rng(0)
    rows, cols = np.divmod(rng.choice(56 * 84, 30, replace=False), 84)
    points = np.stack([rows, cols, scene.depth[rows, cols]], 1)
    np.savetxt(root / 'known.txt', points, header='row col depth')
    out = root / 'out'
    assert infer_cli.main([config, checkpoint, str(root / 'scene.png'),
                      '--out-dir', str(out), '--save', 'npy', '--hfov', '70',
                      '--align-sparse', str(root / 'known.txt')]) == 0
    printed = capsys.readouterr().out
    scale = float(printed.split('scene: scale ')[1].split()[0])
    aligned = np.load(out / 'scene_depth.npy')
    raw = inference(init_model(config, checkpoint), str(root / 'scene.png'))
    want, fit = align_to_sparse(raw, points)
    assert fit.scale == pytest.approx(scale, abs=1e-4)
    assert np.allclose(aligned, want, rtol=1e-6)
    with pytest.raises(SystemExit):
        infer_cli.parse_args([config, checkpoint, 'x.png', '--align-shift'])
