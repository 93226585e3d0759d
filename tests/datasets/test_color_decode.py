"""Alpha channels are refused or dropped on request, never silently."""
import io

import cv2
import numpy as np
import pytest
from PIL import Image

from da2zoe.datasets.bad_sample import BadSampleError
from da2zoe.datasets.transforms import LoadRGB, color_decode
from da2zoe.datasets.transforms.color_decode import (
    AlphaChannelError,
    color_channels,
    decode_color,
)

RNG = np.random.default_rng(0)
BGR = RNG.integers(0, 256, (9, 13, 3), dtype=np.uint8)
ALPHA = RNG.integers(0, 256, (9, 13, 1), dtype=np.uint8)


def encoded(image: np.ndarray, ext: str = '.png') -> np.ndarray:
    ok, data = cv2.imencode(ext, image)
    assert ok
    return data.ravel()


def pil_png(array: np.ndarray, mode: str, **kwargs) -> np.ndarray:
    buffer = io.BytesIO()
    image = Image.fromarray(array, mode)
    if mode == 'P':
        image.putpalette([v for i in range(256) for v in (i, i, i)])
    image.save(buffer, 'PNG', **kwargs)
    return np.frombuffer(buffer.getvalue(), np.uint8)


@pytest.mark.parametrize('kind', ['rgba', 'grey_alpha', 'palette_trns'])
def test_png_with_alpha_is_refused_or_dropped(kind):
    data = {
        'rgba': lambda: encoded(np.concatenate([BGR, ALPHA], axis=2)),
        'grey_alpha': lambda: pil_png(
            np.concatenate([BGR[..., :1], ALPHA], axis=2), 'LA'),
        'palette_trns': lambda: pil_png(BGR[..., 0] % 8, 'P',
                                        transparency=3),
    }[kind]()
    # OpenCV expands grey + alpha and palette transparency to 4 channels.
    assert cv2.imdecode(data, cv2.IMREAD_UNCHANGED).shape[2] == 4
    with pytest.raises(AlphaChannelError,
                       match=r"alpha channel \(4 channels.*alpha='drop'"):
        decode_color(data)
    np.testing.assert_array_equal(decode_color(data, 'drop'),
                                  cv2.imdecode(data, cv2.IMREAD_COLOR))


@pytest.mark.parametrize('ext', ['.png', '.jpg', '.bmp'])
def test_colour_files_decode_as_imread_color(ext):
    data = encoded(BGR, ext)
    for alpha in ('error', 'drop'):
        np.testing.assert_array_equal(decode_color(data, alpha),
                                      cv2.imdecode(data, cv2.IMREAD_COLOR))
    assert decode_color(np.frombuffer(b'not an image', np.uint8)) is None
    assert decode_color(np.zeros(0, np.uint8)) is None


def test_arrays_keep_colour_and_refuse_alpha():
    assert color_channels(BGR) is BGR
    grey = color_channels(BGR[..., 0])
    assert grey.shape == (9, 13, 3) and (grey == BGR[..., :1]).all()
    for channels in (2, 4):
        image = np.concatenate([BGR[..., :channels - 1], ALPHA], axis=2)
        with pytest.raises(AlphaChannelError,
                           match=f'{channels} channels'):
            color_channels(image)
        dropped = color_channels(image, 'drop')
        assert dropped.shape == (9, 13, 3)
        assert (dropped == BGR[..., :3 if channels == 4 else 1]).all()
    with pytest.raises(ValueError, match=r'C in 1\.\.4.*\(9, 13, 5\)'):
        color_channels(np.zeros((9, 13, 5), np.uint8))
    with pytest.raises(ValueError, match="alpha must be one of"):
        color_channels(BGR, 'keep')


def test_load_rgb_names_the_file(tmp_path):
    path = tmp_path / 'cut_out.png'
    cv2.imwrite(str(path), np.concatenate([BGR, ALPHA], axis=2))
    with pytest.raises(BadSampleError,
                       match=r'cut_out\.png: has an alpha channel'):
        LoadRGB()(dict(img_path=str(path)))
    img = LoadRGB(alpha='drop')(dict(img_path=str(path)))['img']
    np.testing.assert_array_equal(img, BGR[..., ::-1])
    with pytest.raises(ValueError, match='alpha must be one of'):
        LoadRGB(alpha='composite')


def test_a_fully_opaque_alpha_holds_nothing_and_is_dropped():
    """Screenshots are RGBA with alpha 255 everywhere: nothing is lost."""
    opaque = np.concatenate([BGR, np.full_like(ALPHA, 255)], axis=2)
    np.testing.assert_array_equal(decode_color(encoded(opaque)), BGR)
    np.testing.assert_array_equal(color_channels(opaque), BGR)
    one_transparent = opaque.copy()
    one_transparent[4, 6, 3] = 254
    with pytest.raises(AlphaChannelError, match='transparent pixels'):
        decode_color(encoded(one_transparent))
    with pytest.raises(AlphaChannelError, match='transparent pixels'):
        color_channels(one_transparent)


def test_files_without_alpha_are_decoded_once(monkeypatch):
    """The PNG header (colour type, tRNS) spares RGB / grey PNGs and JPEGs
    the second decode; files that may have alpha take it."""
    calls = []
    real = cv2.imdecode
    monkeypatch.setattr(color_decode.cv2, 'imdecode',
                        lambda data, flags: calls.append(flags) or real(
                            data, flags))
    palette = BGR[..., 0] % 8
    for data, decodes in (
            (encoded(BGR), 1), (encoded(BGR[..., 0]), 1),
            (encoded(BGR, '.jpg'), 1), (pil_png(palette, 'P'), 1),
            (pil_png(palette, 'P', transparency=3), 2),
            (encoded(np.concatenate([BGR, ALPHA], axis=2)), 2),
            (encoded(BGR, '.bmp'), 2)):
        calls.clear()
        try:
            decode_color(data)
        except AlphaChannelError:
            calls.append('refused')
        assert len(calls) == decodes, calls
