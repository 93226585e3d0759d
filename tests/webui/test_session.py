"""The demo's core without a browser: predict, render, uploads, options."""
import base64

import cv2
import numpy as np
import PIL.Image
import pytest
from mmengine.config import Config

from da2zoe.apis import inference, init_model
from da2zoe.apis.preprocess import to_rgb
from da2zoe.datasets.codecs import encode_millimetres
from da2zoe.testing import render_scene
from da2zoe.webui import (
    DepthDemo,
    UploadError,
    UploadLimits,
    View,
    read_upload,
    write_examples,
)
from da2zoe.webui import session as session_module
from da2zoe.webui.colorbar_html import colorbar_html, nice_ticks
from da2zoe.webui.uploads import upload_path
from tiny_depther import write_tiny_model

SIZE = 56


@pytest.fixture(scope='module')
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp('session')
    model = init_model(*write_tiny_model(str(root), infer_size=SIZE))
    return DepthDemo(model, str(root / 'renders'))


@pytest.fixture(scope='module')
def scene():
    return render_scene(2, 0, (84, 126))


def test_predict_is_inference_and_render_writes_every_file(demo, scene):
    prediction = demo.predict(scene.rgb, 'My Room!.jpg')
    assert demo.default_input_size == SIZE and prediction.input_size == SIZE
    expected = inference(demo.model, scene.rgb, input_size=SIZE, rgb=True)
    np.testing.assert_array_equal(prediction.depth, expected)
    assert prediction.name == 'My_Room' and prediction.dtype == 'float32'
    assert prediction.network_size == (56, 84) and prediction.seconds > 0

    shown = demo.render(prediction, View(hfov=90.0))
    names = [p.rsplit('/', 1)[1] for p in shown.files]
    assert names == ['My_Room_depth.png', 'My_Room_depth.npy',
                     'My_Room_points.ply', 'My_Room_depth_color.png',
                     'My_Room_mesh.glb']
    png16 = cv2.imread(shown.files[0], cv2.IMREAD_UNCHANGED)
    np.testing.assert_array_equal(png16, encode_millimetres(expected))
    np.testing.assert_array_equal(np.load(shown.files[1]), expected)
    assert shown.color.shape == scene.rgb.shape
    assert shown.mesh == shown.files[-1]
    valid = expected[expected > 0]
    stats = shown.stats.replace('**', '')
    assert f'min {valid.min():.3f} m' in stats
    assert f'median {np.median(valid):.3f} m' in stats
    assert f'max {valid.max():.3f} m' in stats
    # hfov 90 degrees: fx = W / 2.
    assert 'fx 63.0 fy 63.0 cx 62.5 cy 41.5' in shown.stats


def test_a_model_that_resizes_itself_runs_without_a_size(tmp_path, scene):
    """DA-V1 / DA-V2 metric configs resize inside the model
    (``input_resize``): the page has no size to give them."""
    config, checkpoint = write_tiny_model(str(tmp_path), infer_size=SIZE)
    cfg = Config.fromfile(config)
    cfg.model.data_preprocessor.input_resize = dict(size=(42, 56))
    cfg.test_pipeline = [dict(type='LoadRGB'), dict(type='PackDepthInputs')]
    cfg.pop('infer_size', None)
    cfg.dump(str(tmp_path / 'in_model.py'))
    model = init_model(str(tmp_path / 'in_model.py'), checkpoint)
    demo = DepthDemo(model, str(tmp_path / 'renders'))
    assert demo.fixed_size and demo.default_input_size == 42
    prediction = demo.predict(scene.rgb, input_size=70)  # the slider: unused
    np.testing.assert_array_equal(prediction.depth,
                                  inference(model, scene.rgb, rgb=True))
    # 84x126 to (42, 56) by V1's "minimal" rule: scale 0.5, 126 -> 63 px =
    # 4.5 patches, rounded to even: 56.
    assert prediction.network_size == (42, 56)
    assert prediction.input_size == 42
    with pytest.raises(ValueError, match='input_size=70: the test pipeline '
                       'has no KeepAspectResize'):
        inference(model, scene.rgb, rgb=True, input_size=70)


def test_a_relative_model_is_not_shown_in_metres(tmp_path, scene):
    config, checkpoint = write_tiny_model(str(tmp_path), infer_size=SIZE)
    cfg = Config.fromfile(config)
    cfg.test_evaluator = dict(type='DepthMetric',
                              align='least_squares_disparity',
                              pred_space='disparity')
    cfg.dump(str(tmp_path / 'relative.py'))
    demo = DepthDemo(init_model(str(tmp_path / 'relative.py'), checkpoint),
                     str(tmp_path / 'renders'))
    shown = demo.render(demo.predict(scene.rgb, 'room.png'), View(hfov=90.0))
    assert [p.rsplit('/', 1)[1] for p in shown.files] == [
        'room_disparity.npy', 'room_disparity_color.png']
    assert shown.mesh is None
    assert ' m ' not in shown.stats.split('\n')[0] + ' '
    assert 'predicts disparity, not metres' in shown.stats
    assert 'disparity (unitless)' in shown.colorbar
    assert 'depth (m)' not in shown.colorbar


def test_options_flip_size_scale_and_pinhole(demo, scene):
    prediction = demo.predict(scene.rgb, input_size=70, flip=True)
    expected = inference(demo.model, scene.rgb, input_size=70, rgb=True,
                         flip=True)
    np.testing.assert_array_equal(prediction.depth, expected)
    assert prediction.network_size == (70, 112)
    shown = demo.render(prediction,
                        View(max_depth=8, pinhole=(100, 90, 60, 40)))
    assert (shown.vmin, shown.vmax) == (0.0, 8.0)
    assert 'data-vmax="8"' in shown.colorbar
    assert 'fx 100.0 fy 90.0 cx 60.0 cy 40.0' in shown.stats
    assert 'flip TTA on' in shown.stats
    with pytest.raises(ValueError, match='multiple of 14'):
        demo.predict(scene.rgb, input_size=60)
    with pytest.raises(ValueError, match='fx and fy must be positive'):
        demo.render(prediction, View(pinhole=(0, 90, 60, 40)))


def test_bf16_only_where_native(demo, scene, monkeypatch):
    demo_native, native_message = demo.native_bf16, demo.bf16_message
    try:
        demo.native_bf16, demo.bf16_message = False, 'no native bf16 here'
        refused = demo.predict(scene.rgb, bf16=True)
        assert refused.dtype == 'float32'
        assert 'no native bf16 here' in demo.render(refused, View()).stats
        demo.native_bf16 = True
        assert demo.predict(scene.rgb, bf16=True).dtype == 'bfloat16'
    finally:
        demo.native_bf16, demo.bf16_message = demo_native, native_message
    # The decision is the CPU module's (da2zoe.analysis.cpu.choose_bf16).
    calls = []
    monkeypatch.setattr(session_module, 'choose_bf16',
                        lambda flag, device: calls.append(device) or
                        (False, 'x'))
    assert not DepthDemo(demo.model, demo.out_root).native_bf16
    assert calls == ['cpu']


def test_uploads_are_read_upright_or_refused_by_name(tmp_path):
    rgb = np.random.default_rng(0).integers(0, 256, (20, 30, 3), np.uint8)
    image = PIL.Image.fromarray(rgb)
    exif = image.getexif()
    exif[0x0112] = 6  # orientation: rotate 90 degrees clockwise to view
    image.save(tmp_path / 'phone.jpg', exif=exif, quality=100)
    upright = read_upload(str(tmp_path / 'phone.jpg'), SIZE)
    assert upright.shape == (30, 20, 3)

    (tmp_path / 'notes.png').write_text('hello')
    with pytest.raises(UploadError, match='notes.png is not an image'):
        read_upload(str(tmp_path / 'notes.png'), SIZE)
    PIL.Image.fromarray(rgb).save(tmp_path / 'big.png')
    with pytest.raises(UploadError, match=r'big.png is 30x20 pixels .* too '
                       'large, at most 0 MP'):
        read_upload(str(tmp_path / 'big.png'), SIZE, UploadLimits(100))
    strip = np.zeros((8, 500, 3), np.uint8)
    PIL.Image.fromarray(strip).save(tmp_path / 'strip.png')
    with pytest.raises(UploadError, match='strip.png .* would be resized to '
                       r'\d+x56 .* at input size 56'):
        read_upload(str(tmp_path / 'strip.png'), SIZE,
                    UploadLimits(max_input_pixels=100_000))
    PIL.Image.fromarray(np.zeros((8, 4000, 3), np.uint8)).save(
        tmp_path / 'long.png')
    with pytest.raises(UploadError, match=r'long.png: a 8x4000 image .* past '
                       r'the 4096 px limit .* at most 73.1:1'):
        read_upload(str(tmp_path / 'long.png'), SIZE)
    PIL.Image.fromarray(rgb[:4]).save(tmp_path / 'thin.png')
    with pytest.raises(UploadError, match='thin.png is 30x4 pixels: too '
                       'small'):
        read_upload(str(tmp_path / 'thin.png'), SIZE)
    truncated = (tmp_path / 'big.png').read_bytes()[:-40]
    (tmp_path / 'cut.png').write_bytes(truncated)
    with pytest.raises(UploadError, match='cut.png could not be decoded'):
        read_upload(str(tmp_path / 'cut.png'), SIZE)


def test_uploads_decode_as_the_command_line_does(tmp_path):
    """16-bit grey keeps its top 8 bits (PIL's convert clips it to white),
    8-bit grey and colour PNGs give the API's pixels; a float image is
    refused by name."""
    rng = np.random.default_rng(1)
    ramp = (np.arange(64 * 256).reshape(64, 256) * 4).astype(np.uint16)
    cv2.imwrite(str(tmp_path / 'grey16.png'), ramp)
    cv2.imwrite(str(tmp_path / 'grey8.png'), (ramp >> 8).astype(np.uint8))
    cv2.imwrite(str(tmp_path / 'color16.png'),
                rng.integers(0, 65536, (40, 60, 3)).astype(np.uint16))
    for name in ('grey16.png', 'grey8.png', 'color16.png'):
        path = str(tmp_path / name)
        np.testing.assert_array_equal(read_upload(path, SIZE), to_rgb(path),
                                      err_msg=name)
    grey = read_upload(str(tmp_path / 'grey16.png'), SIZE)
    assert grey[0, ::32, 0].tolist() == [0, 0, 1, 1, 2, 2, 3, 3]
    assert (grey == 255).mean() < 0.01
    cv2.imwrite(str(tmp_path / 'depth.tiff'),
                rng.random((40, 60)).astype(np.float32))
    with pytest.raises(UploadError, match='depth.tiff is a float '
                       'single-channel image'):
        read_upload(str(tmp_path / 'depth.tiff'), SIZE)


def test_transparent_uploads_are_refused_opaque_alpha_is_read(tmp_path):
    rgba = np.zeros((20, 30, 4), np.uint8)
    rgba[..., :3] = np.arange(30, dtype=np.uint8)[None, :, None] * 8
    rgba[..., 3] = 255
    opaque = tmp_path / 'screenshot.png'
    PIL.Image.fromarray(rgba, 'RGBA').save(opaque)
    np.testing.assert_array_equal(read_upload(str(opaque), SIZE),
                                  rgba[..., :3])
    rgba[5, 5, 3] = 0
    cut_out = tmp_path / 'cut_out.png'
    PIL.Image.fromarray(rgba, 'RGBA').save(cut_out)
    with pytest.raises(UploadError,
                       match='cut_out.png has transparent pixels'):
        read_upload(str(cut_out), SIZE)
    palette = PIL.Image.fromarray(np.full((20, 30), 3, np.uint8), 'P')
    palette.putpalette([v for i in range(256) for v in (i, i, i)])
    palette.save(tmp_path / 'palette.png', transparency=3)
    with pytest.raises(UploadError, match='palette.png has transparent'):
        read_upload(str(tmp_path / 'palette.png'), SIZE)


def test_upload_payloads(tmp_path):
    path = tmp_path / 'a.png'
    PIL.Image.new('RGB', (9, 9)).save(path)
    assert upload_path({'path': str(path), 'orig_name': 'x.png'},
                       str(tmp_path)) == (str(path), 'x.png')
    url = 'data:image/png;base64,' + base64.b64encode(
        path.read_bytes()).decode()
    pasted, name = upload_path({'url': url}, str(tmp_path))
    assert name == 'pasted image'
    assert read_upload(pasted, SIZE).shape == (9, 9, 3)
    with pytest.raises(UploadError, match='not base64'):
        upload_path({'url': 'data:image/png;base64,@@', 'orig_name': 'p'},
                    str(tmp_path))
    with pytest.raises(UploadError, match='holds no file'):
        upload_path({'orig_name': 'p'}, str(tmp_path))


def test_colorbar_ticks_and_examples(tmp_path):
    assert nice_ticks(0.0, 10.0) == [0, 2, 4, 6, 8, 10]
    assert nice_ticks(1.13, 4.9) == [1.5, 2, 2.5, 3, 3.5, 4, 4.5]
    for low, span in np.random.default_rng(0).uniform(0, 50, (50, 2)):
        ticks = np.array(nice_ticks(low, low + span + 1e-3))
        steps = np.diff(ticks)
        assert ticks[0] >= low and ticks[-1] <= low + span + 1e-3
        assert 3 <= len(ticks) <= 9 and np.allclose(steps, steps[0])
        mantissa = steps[0] / 10**np.floor(np.log10(steps[0]))
        assert np.isclose(mantissa, [1, 2, 5]).any()
    html = colorbar_html(0.708, 0.714)
    assert html.count('class="tick"') == len(nice_ticks(0.708, 0.714))
    with pytest.raises(ValueError, match='must exceed'):
        nice_ticks(2, 2)
    paths = write_examples(str(tmp_path), 2, size=(48, 64), seed=3)
    first = cv2.imread(paths[0])[..., ::-1]
    np.testing.assert_array_equal(first, render_scene(0, 3, (48, 64)).rgb)
