"""Per-image scale error vs floor fraction (the canonical-camera diagnosis)."""
import math

import numpy as np
import pytest
import torch

from da2zoe.analysis.camera_diagnosis import (
    binned_rows,
    correlations,
    diagnosis_markdown,
    image_records,
    paired_markdown,
    paired_rows,
    scale_error,
)


def test_scale_error_is_the_median_log_ratio():
    gt = np.array([[1.0, 2.0], [4.0, 8.0]])
    valid = np.array([[True, True], [True, False]])
    pred = gt * np.array([[2.0, 2.0], [0.5, 100.0]])
    assert scale_error(pred, gt, valid) == pytest.approx(math.log(2))
    assert math.isnan(scale_error(pred, gt, np.zeros_like(valid)))


def _records(model, floors, scales, set_name='fx210'):
    return [dict(set=set_name, model=model, name=f'{i}.jpg', focal=210.0,
                 floor_fraction=f, log_scale=math.log(s), scale=s,
                 abs_rel=abs(s - 1), d1=float(s < 1.25), beyond_head=0.0)
            for i, (f, s) in enumerate(zip(floors, scales))]


def test_bins_and_correlations_follow_the_floor():
    floors = [0.0, 0.01, 0.05, 0.3, 0.6]
    records = (_records('metric', floors, [1.1, 1.0, 0.8, 0.7, 0.6]) +
               _records('canonical', floors, [2.0, 2.1, 1.5, 1.2, 1.0]))
    rows = binned_rows(records, edges=(0.0, 0.02, 0.25, 1.0))
    got = [(r['model'], r['bin'], r['n'], round(r['median_scale'], 6))
           for r in rows]
    # Median of an even count is the geometric mean of the middle two.
    assert got == [
        ('metric', (0.0, 0.02), 2, round(math.sqrt(1.1), 6)),
        ('canonical', (0.0, 0.02), 2, round(math.sqrt(4.2), 6)),
        ('metric', (0.02, 0.25), 1, 0.8),
        ('canonical', (0.02, 0.25), 1, 1.5),
        ('metric', (0.25, 1.0), 2, round(math.sqrt(0.42), 6)),
        ('canonical', (0.25, 1.0), 2, round(math.sqrt(1.2), 6)),
    ]
    assert rows[-2]['abs_rel'] == pytest.approx((0.3 + 0.4) / 2)
    stats = {r['model']: r for r in correlations(records)}
    assert stats['metric']['spearman'] == pytest.approx(-1.0)
    assert stats['canonical']['spearman'] == pytest.approx(-0.9)
    assert -1 < stats['metric']['pearson'] < -0.8
    assert stats['metric']['median_scale'] == pytest.approx(0.8)
    text = diagnosis_markdown(records, edges=(0.0, 0.02, 0.25, 1.0))
    assert '| fx210 | 0.25-1 | canonical | 2 | 1.10 |' in text
    # A constant floor fraction has no correlation (NaN, not an error).
    flat = correlations(_records('m', [0.1, 0.1, 0.1], [1.0, 2.0, 3.0]))
    assert math.isnan(flat[0]['pearson'])


def test_paired_rows_recover_the_cue_weight():
    """Models that mix the cue (weight w) and a prior, as the docstring
    derives: w comes back from each, their ratio is f / f_tr."""
    train_focal, focal = 120.0, 240.0
    cue = math.log(train_focal / focal)
    floors = [0.0, 0.01, 0.3, 0.5]
    weights = [0.0, 0.1, 0.8, 0.8]
    metric = _records('metric', floors,
                      [math.exp(w * cue) for w in weights])
    canonical = _records('canonical', floors,
                         [math.exp(-(1 - w) * cue) for w in weights])
    for record in metric + canonical:
        record['focal'] = focal
    rows = paired_rows(canonical + metric, 'metric', 'canonical',
                       train_focal, edges=(0.0, 0.02, 1.0))
    assert [(r['bin'], r['n']) for r in rows] == [((0.0, 0.02), 2),
                                                  ((0.02, 1.0), 2)]
    assert rows[0]['w_metric'] == pytest.approx(0.05)
    assert rows[0]['w_canonical'] == pytest.approx(0.05)
    assert rows[1]['w_metric'] == pytest.approx(0.8)
    for row in rows:
        assert row['ratio_model'] == pytest.approx(2.0)
        assert row['ratio_expected'] == pytest.approx(2.0)
        assert row['ratio_std'] == pytest.approx(0.0, abs=1e-12)
    assert '| fx210 | 0.02-1 | 2 | 2.00 (0.00) | 2.00 | 0.80 | 0.80 |' in (
        paired_markdown(rows))
    # At the training focal the weight is undefined, not infinite.
    for record in metric + canonical:
        record['focal'] = train_focal
    flat = paired_rows(canonical + metric, 'metric', 'canonical',
                       train_focal, edges=(0.0, 1.0))
    assert math.isnan(flat[0]['w_metric'])


class _HalfAsFar(torch.nn.Module):
    """Predicts half the ground truth on the GT grid."""

    def test_step(self, batch):
        samples = batch['data_samples']
        for sample in samples:
            sample.pred_depth = sample.gt_depth / 2
        return samples


def test_image_records_measure_each_image(synthetic_root, manifest):
    root = synthetic_root / 'folder'
    pipeline = [dict(type='LoadRGB'), dict(type='LoadDepth'),
                dict(type='PackDepthInputs')]
    cfg = dict(type='DepthFolderDataset', data_root=str(root),
               depth_scale=1e-3, pipeline=pipeline)
    h, w = manifest['size']
    floor = np.zeros((h, w), bool)
    floor[h // 2:] = True
    asked = []

    def floor_of(path, shape):
        asked.append((path, shape))
        return floor

    records = image_records(_HalfAsFar(), cfg, floor_of, 'folder', 'half',
                            canonical_focal=1.0, max_depth=0.05)
    assert len(records) == manifest['num'] == len(asked)
    assert asked[0][1] == (h, w)
    focal = manifest['intrinsics'][0][0]
    for record in records:
        assert record['scale'] == pytest.approx(0.5, rel=1e-6)
        assert record['abs_rel'] == pytest.approx(0.5, rel=1e-5)
        assert record['d1'] == 0.0
        assert record['floor_fraction'] == 0.5
        assert record['focal'] == pytest.approx(focal)
        # gt / focal > 0.05 m: depths over ~8 m at fx ~ 160 (a few pixels).
        assert 0 <= record['beyond_head'] < 0.5
    with pytest.raises(ValueError, match='floor mask'):
        image_records(_HalfAsFar(), cfg, lambda p, s: floor[:2], 'f', 'm')
