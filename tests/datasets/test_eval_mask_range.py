"""An evaluation sample's mask keeps the evaluation range, whatever range
the dataset trains with: a narrower training range must not silently drop
scored pixels (REFERENCE: valid = eval_min < gt < eval_max)."""
import torch

from da2zoe.evaluation.metrics import DepthMetric
from da2zoe.registry import DATASETS
from da2zoe.structures.eval_crop import crop_mask

PIPELINE = [dict(type='LoadRGB'), dict(type='LoadDepth'),
            dict(type='PackDepthInputs')]


def _nyu(root, test_mode, **ranges):
    return DATASETS.build(dict(
        type='NYUCSVDataset', data_root=str(root / 'nyu'),
        csv_file='data/nyu2_test.csv', pipeline=PIPELINE,
        test_mode=test_mode, **ranges))


def test_a_narrow_training_range_does_not_narrow_the_scored_pixels(
        synthetic_root):
    narrow = dict(min_depth=1.0, max_depth=2.5)  # inside NYU's 1e-3..10
    train = _nyu(synthetic_root, False, **narrow)[0]['data_samples']
    test = _nyu(synthetic_root, True, **narrow)[0]['data_samples']
    depth = test.gt_depth.numpy()
    outside = (depth > 1e-3) & (depth < 10) & ~((depth > 1.0) & (depth < 2.5))
    assert outside.sum() > 100  # the scene has depths the range leaves out
    assert not train.gt_mask.numpy()[outside].any()  # the loss ignores them
    assert test.gt_mask.numpy()[outside].all()  # the evaluation scores them
    assert (test.min_depth, test.max_depth) == (1e-3, 10.0)

    # DepthMetric counts every in-range, in-crop pixel the decoder trusts.
    metric = DepthMetric()
    test.pred_depth = torch.full_like(test.gt_depth, 2.0)
    metric.process(None, [test])
    height, width = depth.shape[-2:]
    scored = ((depth > 1e-3) & (depth < 10))[0] & crop_mask(
        test.eval_crop, height, width).numpy()
    assert metric.results[0]['n_valid'] == int(scored.sum())
