"""init_model / inference: DA-V2 resize rule, sizes, channel order,
batching."""
import cv2
import numpy as np
import pytest
import torch

from da2zoe.apis import ImageReadError, inference, init_model
from da2zoe.testing import render_scene
from tiny_depther import write_tiny_model

SIZE = 56  # small inference size keeps the tests fast


@pytest.fixture(scope='module')
def tiny(tmp_path_factory):
    folder = tmp_path_factory.mktemp('tiny_model')
    config, checkpoint = write_tiny_model(str(folder), infer_size=SIZE)
    return config, checkpoint, init_model(config, checkpoint)


@pytest.fixture(scope='module')
def image():
    """101x137 BGR: odd sides, not multiples of 14."""
    return np.ascontiguousarray(render_scene(0, 0, (101, 137)).rgb[..., ::-1])


def test_init_model_loads_checkpoint_and_cfg(tiny):
    config, checkpoint, model = tiny
    state = torch.load(checkpoint, weights_only=True)
    for key, value in model.state_dict().items():
        assert torch.equal(value, state[key]), key
    assert not model.training
    assert model.cfg.infer_size == SIZE
    flipped = init_model(config, cfg_options={'model.test_cfg.flip': True})
    assert flipped.test_cfg['flip'] is True


def test_odd_size_comes_back_at_original_size(tiny, image):
    depth = inference(tiny[2], image)
    assert depth.shape == (101, 137) and depth.dtype == np.float32
    assert np.isfinite(depth).all() and (depth > 0).all()


def test_infer_size_from_config_is_the_default(tiny, image):
    model = tiny[2]
    np.testing.assert_array_equal(
        inference(model, image), inference(model, image, input_size=SIZE))
    assert not np.array_equal(
        inference(model, image), inference(model, image, input_size=70))


def test_bgr_and_rgb_inputs(tiny, image):
    model = tiny[2]
    bgr = inference(model, image)
    rgb = inference(model, np.ascontiguousarray(image[..., ::-1]), rgb=True)
    np.testing.assert_array_equal(bgr, rgb)
    swapped = inference(model, image, rgb=True)
    assert np.abs(swapped - bgr).max() > 1e-4


def test_path_list_and_batching(tiny, image, tmp_path):
    model = tiny[2]
    path = str(tmp_path / 'scene.png')
    cv2.imwrite(path, image)
    other = np.ascontiguousarray(image[:60, :90])
    outputs = inference(model, [path, other, image], batch_size=2)
    assert isinstance(outputs, list) and len(outputs) == 3
    assert [o.shape for o in outputs] == [(101, 137), (60, 90), (101, 137)]
    single = inference(model, image)
    np.testing.assert_allclose(outputs[0], single, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(outputs[2], single, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        outputs[1], inference(model, other), rtol=1e-5, atol=1e-6)
    assert inference(model, []) == []


def test_flip_tta_is_mean_of_flipped_predictions(tiny, image):
    model = tiny[2]
    plain = inference(model, image)
    mirrored = inference(model, np.ascontiguousarray(image[:, ::-1]))[:, ::-1]
    with_tta = inference(model, image, flip=True)
    np.testing.assert_allclose(
        with_tta, 0.5 * (plain + mirrored), rtol=1e-4, atol=1e-5)
    assert model.test_cfg['flip'] is False


def test_bf16_autocast_is_close(tiny, image):
    model = tiny[2]
    full = inference(model, image)
    half = inference(model, image, dtype=torch.bfloat16)
    assert half.dtype == np.float32 and half.shape == full.shape
    assert np.mean(np.abs(half - full) / full) < 0.05


def test_unreadable_paths_are_named(tiny, tmp_path):
    broken = tmp_path / 'broken.jpg'
    broken.write_bytes(b'not an image')
    for path in (broken, tmp_path / 'missing.png'):
        with pytest.raises(ImageReadError, match=path.name):
            inference(tiny[2], str(path))


@pytest.mark.parametrize('shape', [(0, 0, 3), (0, 12, 3), (12, 0)])
def test_empty_image_is_refused_by_index(tiny, image, shape):
    with pytest.raises(ValueError, match=r'image 1 is empty: shape'):
        inference(tiny[2], [image, np.zeros(shape, np.uint8)])


def test_extreme_aspect_is_refused_before_any_allocation(tiny, tmp_path):
    strip = tmp_path / 'strip.png'
    cv2.imwrite(str(strip), np.full((1, 4000, 3), 90, np.uint8))
    with pytest.raises(ValueError, match=r'1x4000 image .* 56x224000, past '
                       r'the 4096 px limit'):
        inference(tiny[2], str(strip))


def test_alpha_channel_is_refused_or_dropped_on_request(tiny, image,
                                                        tmp_path):
    """An RGBA file or array is never fed with its alpha silently cut."""
    model = tiny[2]
    alpha = np.full(image.shape[:2] + (1, ), 128, np.uint8)
    rgba = np.concatenate([image, alpha], axis=2)
    path = tmp_path / 'cut_out.png'
    cv2.imwrite(str(path), rgba)
    with pytest.raises(ImageReadError,
                       match=r"cut_out\.png: has an alpha channel.*'drop'"):
        inference(model, str(path))
    with pytest.raises(ValueError, match=r'image 1 has an alpha channel'):
        inference(model, [image, rgba])
    expected = inference(model, image)
    np.testing.assert_array_equal(
        inference(model, str(path), alpha='drop'), expected)
    np.testing.assert_array_equal(inference(model, rgba, alpha='drop'),
                                  expected)
