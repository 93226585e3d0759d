"""DA2KMetric: pair accuracy overall and per scene."""
import pytest
import torch
from mmengine.evaluator import Evaluator

from da2zoe.evaluation.metrics import DA2KMetric
from da2zoe.evaluation.metrics.da2k_metric import scene_of
from da2zoe.registry import METRICS
from da2zoe.structures import DepthDataSample


def _sample(pred, pairs, img_path, **metainfo):
    sample = DepthDataSample(
        metainfo=dict(img_path=img_path, ori_shape=pred.shape[-2:],
                      **metainfo))
    sample.pred_depth = pred.reshape(1, *pred.shape[-2:])
    sample.pairs = torch.tensor(pairs, dtype=torch.long).reshape(-1, 4)
    return sample


def _gradient(height=6, width=8):
    """Depth growing with the column index: left is closer."""
    return torch.arange(width, dtype=torch.float32).expand(height, width) + 1


def test_scene_of():
    assert scene_of('/data/DA-2K/images/indoor/a.jpg') == 'indoor'
    assert scene_of('images/non_real/sub/b.png') == 'non_real'
    assert scene_of(r'C:\da2k\images\aerial\c.jpg') == 'aerial'
    assert scene_of('elsewhere/outdoor/d.jpg') == 'outdoor'


def test_accuracy_overall_and_per_scene():
    pred = _gradient()
    samples = [
        # 2 right (left point first), 1 wrong, 1 tie (wrong)
        _sample(pred, [[0, 0, 0, 5], [3, 1, 2, 7], [1, 6, 1, 2],
                       [2, 3, 4, 3]], 'root/images/indoor/a.jpg'),
        _sample(pred, [[5, 2, 0, 3]], 'root/images/outdoor/b.jpg').to_dict(),
        _sample(pred, [], 'root/images/outdoor/c.jpg'),
    ]
    evaluator = Evaluator([METRICS.build(dict(type='DA2KMetric'))])
    evaluator.process(samples)
    results = evaluator.evaluate(len(samples))
    assert results == pytest.approx({
        'da2k/acc': 3 / 5,
        'da2k/acc_indoor': 2 / 4,
        'da2k/acc_outdoor': 1.0,
    })


def test_prediction_is_resized_to_the_pair_grid_and_nan_is_wrong():
    pred = _gradient(3, 4)  # half resolution of the 6x8 original
    metric = DA2KMetric()
    sample = _sample(pred, [[0, 0, 5, 7], [5, 7, 0, 0]], 'x/images/s/a.jpg',
                     scene='s')
    sample.set_metainfo(dict(ori_shape=(6, 8)))
    metric.process(None, [sample])
    assert metric.results[-1] == dict(scene='s', correct=1, total=2)
    nan_pred = torch.full((6, 8), float('nan'))
    metric.process(None, [_sample(nan_pred, [[0, 0, 0, 1]], 'images/s/b')])
    assert metric.results[-1]['correct'] == 0
    with pytest.raises(ValueError, match='outside'):
        metric.process(None, [_sample(pred, [[0, 0, 9, 9]], 'images/s/c')])


def test_no_pairs_gives_no_keys():
    metric = DA2KMetric()
    metric.process(None, [_sample(_gradient(), [], 'images/s/a.jpg')])
    assert metric.compute_metrics(metric.results) == {}


def test_a_disparity_prediction_puts_the_nearer_point_higher():
    """A relative DA-V2 model predicts disparity: the same scene read as
    depth and as its inverse must give the same accuracy, not 1 minus it."""
    depth = _gradient()
    pairs = [[0, 0, 0, 5], [3, 1, 2, 7], [1, 6, 1, 2], [2, 3, 4, 3]]
    as_depth = DA2KMetric()
    as_disparity = DA2KMetric(pred_space='disparity')
    as_depth.process(None, [_sample(depth, pairs, 'images/s/a.jpg')])
    as_disparity.process(None, [_sample(1 / depth, pairs, 'images/s/a.jpg')])
    assert as_depth.results == as_disparity.results == [
        dict(scene='s', correct=2, total=4)]
    # Read the wrong way, the same disparities score the complement (the tie
    # stays wrong either way).
    wrong = DA2KMetric()
    wrong.process(None, [_sample(1 / depth, pairs, 'images/s/a.jpg')])
    assert wrong.results[-1]['correct'] == 1
    with pytest.raises(ValueError, match="pred_space='inverse'"):
        DA2KMetric(pred_space='inverse')
