"""Depth Anything V1's own evaluation, end to end, against the reference.

``tests/data/golden/da1_eval_pipeline.npz`` holds V1's ``evaluate.py`` run
on one NYU-sized image: the uint8 image as stored, the resized and
normalised tensor the encoder saw, the flip-averaged prediction and the
metrics. The image FILE goes through our dataset, the V1 config's test
pipeline, its data preprocessor (the in-model resize) and its depther (flip
averaging), built at the golden's tiny sizes with the golden's weights
(``zoedepth_da1_tiny.npz``), in float64. The default DA-V2-style pipeline
(uint8 bicubic resize before the model, no flip) gives other numbers.
"""
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate

from da2zoe.checkpoint import load_pretrained
from da2zoe.datasets import DepthFolderDataset
from da2zoe.evaluation import DepthMetric
from da2zoe.evaluation.functional import evaluate_depth_map
from da2zoe.registry import MODELS

REPO = Path(__file__).resolve().parents[2]
GOLDEN = REPO / 'tests/data/golden'
V1_CONFIG = REPO / 'configs/da2zoe-dpt_vitl_nyu.py'
# Golden names -> ours.
METRICS = dict(a1='d1', a2='d2', a3='d3', abs_rel='abs_rel', rmse='rmse',
               log_10='log10', rmse_log='rmse_log', silog='silog',
               sq_rel='sq_rel')


@pytest.fixture(scope='module')
def golden():
    with np.load(GOLDEN / 'da1_eval_pipeline.npz') as data:
        pipeline = {k: data[k] for k in data.files}
    with np.load(GOLDEN / 'zoedepth_da1_tiny.npz') as data:
        params = {k[len('param/'):]: torch.from_numpy(data[k])
                  for k in data.files if k.startswith('param/')}
    return pipeline, params


@pytest.fixture(scope='module')
def image_folder(golden, tmp_path_factory):
    """The image as a lossless PNG and the GT as float metres (.npy)."""
    pipeline, _ = golden
    root = tmp_path_factory.mktemp('v1_eval')
    (root / 'rgb').mkdir()
    (root / 'depth').mkdir()
    rgb = pipeline['input/image_uint8_rgb']
    assert cv2.imwrite(str(root / 'rgb/0000.png'), rgb[..., ::-1])
    np.save(root / 'depth/0000.npy', pipeline['input/gt_depth'])
    return root


def build(cfg: Config, params: dict) -> torch.nn.Module:
    """The config's model at the golden's tiny sizes, golden weights."""
    model_cfg = cfg.model
    model_cfg.backbone.arch = dict(embed_dims=64, num_layers=4, num_heads=2)
    model_cfg.neck.update(in_channels=64, features=16,
                          out_channels=[8, 16, 32, 64])
    model_cfg.head.update(bottleneck_channels=16, level_channels=16)
    model = MODELS.build(model_cfg)
    load_pretrained(model, {'model': params}, strict=True)
    return model.double().eval()


def first_batch(root: Path, pipeline: list) -> dict:
    """One NYU-protocol sample from the folder, through ``pipeline``."""
    dataset = DepthFolderDataset(
        data_root=str(root), depth_scale=1.0, pipeline=pipeline,
        test_mode=True, min_depth=1e-3, max_depth=10.0,
        eval_min_depth=1e-3, eval_max_depth=10.0, eval_crop='eigen')
    return pseudo_collate([dataset[0]])


def evaluate(model, batch: dict) -> tuple:
    """(model input, depth at the model's size, sample with pred_depth)."""
    seen = {}
    predict_depth = model.predict_depth

    def recording(inputs, *args):
        seen['inputs'], seen['depth'] = inputs, predict_depth(inputs, *args)
        return seen['depth']

    model.predict_depth = recording  # test_step's own pass, recorded
    with torch.no_grad():
        sample = model.test_step(batch)[0]
    return seen['inputs'], seen['depth'], sample


def test_v1_config_reproduces_v1_evaluation(golden, image_folder):
    pipeline, params = golden
    cfg = Config.fromfile(str(V1_CONFIG))
    model = build(cfg, params)
    inputs, depth, sample = evaluate(
        model, first_batch(image_folder, cfg.test_pipeline))

    torch.testing.assert_close(
        inputs.float(), torch.from_numpy(pipeline['output/model_input_f32']),
        atol=1e-6, rtol=0)
    expected = torch.from_numpy(pipeline['output/metric_depth_flip_avg'])
    assert depth.dtype == torch.float64
    torch.testing.assert_close(depth, expected, atol=1e-10, rtol=1e-10)
    with torch.no_grad():
        noflip = model._forward(inputs)
    torch.testing.assert_close(
        noflip, torch.from_numpy(pipeline['output/metric_depth_noflip']),
        atol=1e-10, rtol=1e-10)

    # V1's compute_metrics on the float64 GT: our metric code, exactly.
    gt = torch.from_numpy(pipeline['input/gt_depth'])
    errors, _ = evaluate_depth_map(sample.pred_depth, gt, 1e-3, 10.0,
                                   'eigen')
    for theirs, ours in METRICS.items():
        assert float(errors[ours]) == pytest.approx(
            float(pipeline[f'output/metric_{theirs}']), rel=1e-10,
            abs=1e-12), ours
    # Through the evaluator, from the GT file: the dataset stores depth as
    # float32 (2^-24 relative), the only difference left.
    metric = DepthMetric()
    metric.process({}, [sample])
    values = metric.compute_metrics(metric.results)
    for theirs, ours in METRICS.items():
        assert values[ours] == pytest.approx(
            float(pipeline[f'output/metric_{theirs}']), rel=1e-6), ours


def test_default_pipeline_is_another_protocol(golden, image_folder):
    """The DA-V2-style pipeline (uint8 bicubic resize to 392 before the
    model, no flip) on the same file and weights: other input, other depth,
    other numbers; so the V1 preprocessing is not a no-op."""
    pipeline, params = golden
    cfg = Config.fromfile(str(V1_CONFIG))
    cfg.model.data_preprocessor.input_resize = None
    cfg.model.test_cfg.flip = False
    cfg.test_pipeline = Config.fromfile(
        str(REPO / 'configs/_base_/datasets/nyu.py')).test_pipeline
    model = build(cfg, params)
    inputs, depth, sample = evaluate(
        model, first_batch(image_folder, cfg.test_pipeline))
    assert tuple(inputs.shape[-2:]) == (392, 518)  # same size...
    reference = torch.from_numpy(pipeline['output/model_input_f32'])
    assert (inputs.float() - reference).abs().max() > 1e-2  # ...other pixels
    expected = torch.from_numpy(pipeline['output/metric_depth_flip_avg'])
    assert (depth - expected).abs().max() > 1e-3
    gt = torch.from_numpy(pipeline['input/gt_depth'])
    errors, _ = evaluate_depth_map(sample.pred_depth, gt, 1e-3, 10.0,
                                   'eigen')
    assert float(errors['abs_rel']) != pytest.approx(
        float(pipeline['output/metric_abs_rel']), rel=1e-4)
