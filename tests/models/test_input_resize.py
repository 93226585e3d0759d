"""The in-model resize of DepthDataPreprocessor (V1 and DA-V2 protocols)."""
import cv2
import numpy as np
import pytest
import torch

from da2zoe.models.data_preprocessor import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    DepthDataPreprocessor,
)
from da2zoe.structures.patch_grid import (
    MAX_SIDE,
    keep_aspect_size,
    midas_resize_size,
)


@pytest.mark.parametrize('shape,target,method,expected', [
    ((480, 640), (392, 518), 'minimal', (392, 518)),     # V1 NYU
    ((352, 1216), (392, 518), 'minimal', (392, 1358)),   # V1 KITTI
    ((120, 160), (112, 154), 'minimal', (112, 154)),     # golden tiny core
    ((480, 640), (518, 518), 'lower_bound', (518, 686)),
    ((480, 640), (518, 518), 'upper_bound', (392, 518)),
])
def test_midas_rule(shape, target, method, expected):
    assert midas_resize_size(shape, target, True, method) == expected


def test_lower_bound_is_da2s_keep_aspect_rule():
    rng = np.random.default_rng(0)
    refused = 0
    for h, w in rng.integers(50, 2000, size=(200, 2)):
        shape = (int(h), int(w))
        if max(shape) / min(shape) * 518 > MAX_SIDE:
            # DA-V2 would allocate a side past MAX_SIDE: we refuse instead.
            with pytest.raises(ValueError, match='patch_grid.MAX_SIDE'):
                keep_aspect_size(shape, 518)
            refused += 1
            continue
        assert midas_resize_size(shape, (518, 518), True,
                                 'lower_bound') == keep_aspect_size(shape, 518)
    assert 0 < refused < 50


def test_cv2_bicubic_is_da2_infer_image():
    """DA-V2: image / 255 (float64), cv2 INTER_CUBIC to the lower-bound
    size, ImageNet normalisation, float32."""
    rng = np.random.default_rng(1)
    image = rng.integers(0, 256, size=(75, 100, 3), dtype=np.uint8)
    pre = DepthDataPreprocessor(input_resize=dict(
        size=(70, 70), resize_method='lower_bound',
        interpolation='cv2_bicubic'))
    out = pre(dict(inputs=[torch.from_numpy(image).permute(2, 0, 1)]),
              training=False)['inputs']
    h, w = midas_resize_size((75, 100), (70, 70), True, 'lower_bound')
    ref = cv2.resize(image / 255.0, (w, h), interpolation=cv2.INTER_CUBIC)
    ref = ((ref - IMAGENET_MEAN) / IMAGENET_STD).astype(np.float32)
    assert out.shape == (1, 3, h, w)
    np.testing.assert_allclose(out[0].permute(1, 2, 0).numpy(), ref,
                               atol=2e-6, rtol=0)
    # Training batches keep the pipeline's size.
    train = pre(dict(inputs=[torch.from_numpy(image).permute(2, 0, 1)]),
                training=True)['inputs']
    assert train.shape[-2:] == (84, 112)  # padded to multiples of 14


@pytest.mark.parametrize('cfg,match', [
    (dict(sise=(392, 518)), 'unknown keys'),
    (dict(size=(392, 518), resize_method='nearest'), 'resize_method'),
    (dict(size=(392, 518), interpolation='area'), 'interpolation'),
    (dict(size=(392, -1)), 'positive'),
])
def test_bad_input_resize_names_the_key(cfg, match):
    with pytest.raises(ValueError, match=match):
        DepthDataPreprocessor(input_resize=cfg)
