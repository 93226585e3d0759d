"""Each defect of the seed script (REFERENCE section 8) fails loudly here,
or in the test named below.

(a) maps labelled 1/8..1/32: tests/models/test_necks.py::
    test_token_adapter_true_strides and ::test_dpt_neck_decoder_parity;
(b) relative depth never computed: tests/models/test_zoedepth_head.py::
    test_depth_anything_v1_metric_parity (golden, through ``rel_depth``);
(c) iBims masks (.mat and PNG releases):
    test_synthetic_decoding.py::test_ibims_validity_masks_are_applied;
(e) 384: test_depth_transforms.py::test_384_is_rejected_with_392_suggested;
(f) square resize: tests/structures/test_patch_grid.py::
    test_keep_aspect_resize_preserves_aspect.
"""
import cv2
import numpy as np
import torch
from mmengine.dataset import pseudo_collate

from da2zoe.datasets import (
    DA2KDataset,
    DepthConcatDataset,
    NYUCSVDataset,
    SUNRGBDDataset,
)
from da2zoe.registry import LOSSES

NATIVE = [
    dict(type='LoadRGB'),
    dict(type='LoadDepth'),
    dict(type='PackDepthInputs')
]
TRAIN = [
    dict(type='LoadRGB'),
    dict(type='LoadDepth'),
    dict(type='NYUBorderCrop', mode='mask'),
    dict(type='RandomRotate', max_degree=2.5, prob=0.5),
    dict(type='KeepAspectResize', min_size=70),
    dict(type='DepthRandomCrop', crop_size=70),
    dict(type='DepthRandomFlip', prob=0.5),
    dict(type='PhotoMetricAug', prob=0.5),
    dict(type='PackDepthInputs'),
]


def test_a_nyu_8bit_train_png_is_not_millimetres(synthetic_root, true_depth,
                                                  scene_index):
    dataset = NYUCSVDataset(
        csv_file='data/nyu2_train.csv',
        data_root=str(synthetic_root / 'nyu'),
        pipeline=NATIVE)
    for i in range(len(dataset)):
        sample = dataset[i]['data_samples']
        raw = cv2.imread(sample.depth_path, cv2.IMREAD_UNCHANGED)
        assert raw.dtype == np.uint8
        seed_metres = raw / 1000.0  # the seed's reading: <= 0.255 m
        truth = np.minimum(true_depth(scene_index(sample.depth_path)), 10)
        ours = sample.gt_depth[0].numpy()
        assert np.median(truth) > 1.0
        assert np.abs(ours - truth).max() < 0.02
        assert seed_metres.max() <= 0.255  # it would collapse to the clamp
        assert not np.allclose(ours, seed_metres, atol=0.5)


def test_b_sunrgbd_needs_the_3_bit_rotation(synthetic_root, true_depth,
                                            scene_index):
    dataset = SUNRGBDDataset(
        json_file='sunrgbd_test.json',
        data_root=str(synthetic_root / 'sunrgbd'),
        pipeline=NATIVE,
        test_mode=True)
    sample = dataset[0]['data_samples']
    raw = cv2.imread(sample.depth_path, cv2.IMREAD_UNCHANGED)
    valid = sample.gt_mask[0].numpy()
    truth = true_depth(scene_index(sample.depth_path))[valid]
    seed_metres = raw[valid] / 1000.0
    ours = sample.gt_depth[0].numpy()[valid]
    assert np.median(seed_metres / truth) > 7.5  # ~8x too deep
    assert np.abs(ours - truth).max() <= 5e-4 + 1e-6


def test_d_da2k_keeps_pairs_and_never_feeds_a_metric_loss(synthetic_root):
    nyu = NYUCSVDataset(
        csv_file='data/nyu2_train.csv',
        data_root=str(synthetic_root / 'nyu'),
        pipeline=TRAIN)
    da2k = DA2KDataset(
        data_root=str(synthetic_root / 'da2k'), pipeline=TRAIN)
    mix = DepthConcatDataset([nyu, da2k])
    np.random.seed(0)
    batch = pseudo_collate([mix[i] for i in range(len(mix))])
    samples = batch['data_samples']
    # Every sample carries the same fields, so the batch stacks.
    for name in ('gt_depth', 'gt_mask', 'pairs'):
        assert all(getattr(s, name) is not None for s in samples)
    gt = torch.stack([s.gt_depth for s in samples])
    mask = torch.stack([s.gt_mask for s in samples])
    is_pair = torch.tensor([s.dataset_name == 'da2k' for s in samples])
    assert is_pair.any() and (~is_pair).any()
    assert not mask[is_pair].any()  # nothing for a dense loss
    assert sum(len(s.pairs) for s in samples if s.dataset_name == 'da2k') > 0
    for s in samples:
        pairs = s.pairs
        if len(pairs):
            assert pairs[:, 0::2].max() < 70 and pairs[:, 1::2].max() < 70
    pred = torch.rand(gt.shape) + 0.5
    silog = LOSSES.build(dict(type='SILogLoss'))
    assert torch.isclose(
        silog(pred, gt, mask), silog(pred[~is_pair], gt[~is_pair],
                                     mask[~is_pair]))
    assert silog(pred[is_pair], gt[is_pair], mask[is_pair]) == 0
    ranking = LOSSES.build(dict(type='PairRankingLoss'))
    assert ranking(pred, [s.pairs for s in samples]) > 0
