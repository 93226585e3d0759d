"""MetricDepther and DepthDataPreprocessor with small stand-in parts."""
import logging
from pathlib import Path

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from da2zoe.models.data_preprocessor import DepthDataPreprocessor
from da2zoe.models.depthers import MetricDepther
from da2zoe.structures import DepthDataSample


class PatchBackbone(nn.Module):
    """Stride-14 conv standing in for the ViT."""

    def __init__(self):
        super().__init__()
        self.proj = nn.Conv2d(3, 8, 14, 14)

    def forward(self, x):
        if x.shape[-1] % 14 or x.shape[-2] % 14:
            raise ValueError('not a multiple of 14')
        return ((self.proj(x), None), )


class IdentityNeck(nn.Module):

    def forward(self, feats):
        return dict(final=feats[0][0])


class ExpHead(nn.Module):
    min_depth, max_depth = 0.1, 10.0

    def __init__(self):
        super().__init__()
        self.out = nn.Conv2d(8, 1, 1)

    def forward(self, neck_out, input_shape):
        depth = self.out(neck_out['final']).exp()
        return dict(metric_depth=F.interpolate(
            depth, size=input_shape, mode='bilinear', align_corners=True))


class MaskedL1(nn.Module):
    loss_name = 'loss_l1'

    def forward(self, pred, gt, mask):
        return (pred - gt).abs()[mask].sum() / mask.sum().clamp(min=1)


class PairLoss(nn.Module):
    loss_name = 'loss_pairs'
    requires_pairs = True

    def __init__(self):
        super().__init__()
        self.seen = None

    def forward(self, pred, pairs):
        self.seen = pairs
        return pred.sum() * 0


def make_sample(h, w, depth=2.0, pairs=None, ori_shape=None):
    sample = DepthDataSample(metainfo=dict(ori_shape=ori_shape or (h, w)))
    sample.gt_depth = torch.full((1, h, w), depth)
    sample.gt_mask = torch.ones((1, h, w), dtype=torch.bool)
    if pairs is not None:
        sample.pairs = torch.tensor(pairs)
        sample.gt_mask = torch.zeros((1, h, w), dtype=torch.bool)
    return sample


def make_depther(**kwargs):
    return MetricDepther(
        backbone=PatchBackbone(), neck=IdentityNeck(), head=ExpHead(),
        losses=[MaskedL1(), PairLoss()], **kwargs)


def test_preprocessor_normalises_and_pads_to_multiple_of_14():
    pre = DepthDataPreprocessor()
    img_a = torch.full((3, 30, 40), 255, dtype=torch.uint8)
    img_b = torch.zeros((3, 28, 29), dtype=torch.uint8)
    samples = [make_sample(30, 40), make_sample(28, 29)]
    out = pre(dict(inputs=[img_a, img_b], data_samples=samples))
    assert out['inputs'].shape == (2, 3, 42, 42)
    mean = torch.tensor([0.485, 0.456, 0.406])
    std = torch.tensor([0.229, 0.224, 0.225])
    torch.testing.assert_close(out['inputs'][0, :, 0, 0], (1 - mean) / std)
    torch.testing.assert_close(out['inputs'][1, :, 0, 0], -mean / std)
    assert out['inputs'][1, :, 28:, :].abs().max() == 0  # padding value
    samples = out['data_samples']
    assert samples[1].img_shape == (28, 29)
    assert samples[1].pad_shape == (42, 42)


def test_loss_mode_routes_dense_and_pair_samples():
    model = make_depther()
    pre = model.data_preprocessor
    samples = [make_sample(28, 28), make_sample(28, 28, pairs=[[1, 2, 3, 4]])]
    imgs = [torch.randint(0, 255, (3, 28, 28), dtype=torch.uint8)] * 2
    data = pre(dict(inputs=imgs, data_samples=samples), training=True)
    losses = model(**data, mode='loss')
    assert set(losses) == {'loss_l1', 'loss_pairs'}
    assert torch.isfinite(losses['loss_l1'])
    pair_loss = model.losses[1]
    assert pair_loss.seen[0].shape == (0, 4)
    assert pair_loss.seen[1].tolist() == [[1, 2, 3, 4]]
    sum(losses.values()).backward()
    assert model.head.out.weight.grad.abs().sum() > 0


def test_loss_ignores_padded_pixels():
    model = make_depther()
    # Sample 0 is 28x20: padded to 28x28, the padded columns are invalid.
    s0, s1 = make_sample(28, 20, depth=1e6), make_sample(28, 28)
    imgs = [torch.zeros((3, 28, 20), dtype=torch.uint8),
            torch.zeros((3, 28, 28), dtype=torch.uint8)]
    data = model.data_preprocessor(dict(inputs=imgs, data_samples=[s0, s1]))
    data['data_samples'][0].gt_mask[:] = False
    losses = model(**data, mode='loss')
    assert losses['loss_l1'] < 100  # the 1e6 GT never enters


def test_predict_crops_padding_resizes_to_gt_and_clamps():
    model = make_depther().eval()
    with torch.no_grad():
        model.head.out.bias.fill_(10.0)  # exp(10) far above max_depth
    gt_sample = make_sample(60, 80)
    pair_sample = make_sample(28, 28, pairs=[[0, 0, 1, 1]],
                              ori_shape=(50, 70))
    imgs = [torch.zeros((3, 28, 28), dtype=torch.uint8)] * 2
    data = model.data_preprocessor(
        dict(inputs=imgs, data_samples=[gt_sample, pair_sample]))
    out = model(**data, mode='predict')
    assert out[0].pred_depth.shape == (1, 60, 80)
    assert out[1].pred_depth.shape == (1, 50, 70)
    assert out[0].pred_depth.max() == model.max_depth


def test_flip_tta_averages_with_the_flipped_prediction():
    torch.manual_seed(0)
    plain = make_depther().eval()
    flip = make_depther(test_cfg=dict(flip=True)).eval()
    flip.load_state_dict(plain.state_dict())
    x = torch.randn(1, 3, 28, 42)
    expected = 0.5 * (plain(x) + plain(x.flip(-1)).flip(-1))
    torch.testing.assert_close(flip.predict_depth(x), expected)
    assert not torch.allclose(plain.predict_depth(x), expected)


def tiny_model(frozen: bool):
    from mmengine.config import Config

    from da2zoe.registry import MODELS
    cfg = Config.fromfile(str(Path(__file__).resolve().parents[2] /
                              'configs/da2zoe_vits_nyu.py'))
    cfg.model.backbone.arch = dict(embed_dims=64, num_layers=4, num_heads=2)
    cfg.model.backbone.frozen = frozen
    cfg.model.backbone.init_cfg = None  # the zoo weights: not this arch
    cfg.model.neck.in_channels = 64
    model = MODELS.build(cfg.model)
    model.init_weights()
    return model


def dense_batch(model, size=(56, 70)):
    torch.manual_seed(0)
    samples = []
    for _ in range(2):
        sample = make_sample(*size)
        sample.gt_depth = torch.rand(1, *size) * 5 + 0.5
        samples.append(sample)
    images = [torch.randint(0, 255, (3, *size), dtype=torch.uint8)] * 2
    return model.data_preprocessor(dict(inputs=images, data_samples=samples))


@pytest.mark.parametrize('frozen', [False, True])
def test_every_trainable_parameter_gets_a_gradient(frozen):
    model = tiny_model(frozen)
    model.train()
    losses = model(**dense_batch(model), mode='loss')
    sum(losses.values()).backward()
    trainable = {n: p for n, p in model.named_parameters() if p.requires_grad}
    assert trainable
    missing = [n for n, p in trainable.items()
               if p.grad is None or not torch.isfinite(p.grad).all()]
    assert not missing, missing
    encoder_grads = [n for n, p in model.backbone.named_parameters()
                     if p.grad is not None]
    if frozen:
        assert not encoder_grads
        assert not model.backbone.training  # norms stay in eval mode
    else:
        assert 'blocks.0.attn.qkv.weight' in encoder_grads


class _Records(logging.Handler):

    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.records = []

    def emit(self, record):
        self.records.append(record)


@pytest.mark.parametrize('with_file', [False, True])
def test_init_info_not_printed_to_the_console(tmp_path, with_file):
    from mmengine.logging import MMLogger
    logger = MMLogger.get_instance(
        f'init_info_{with_file}',
        log_file=str(tmp_path / 'run.log') if with_file else None)
    capture = _Records()
    logger.addHandler(capture)
    try:
        tiny_model(False)
    finally:
        logger.removeHandler(capture)
    same = 'The value is the same before and after calling'
    info = [r for r in capture.records
            if r.levelno >= logging.INFO and same in r.getMessage()]
    assert info == []
    if with_file:
        for handler in logger.handlers:
            handler.flush()
        assert same in (tmp_path / 'run.log').read_text()
    else:
        assert any(same in r.getMessage() for r in capture.records)
