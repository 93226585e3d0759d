"""A decoder loaded into a model that reads other encoder blocks than the
ones it was trained on is reported, naming both block lists."""
import logging

import torch
from mmengine.config import Config
from mmengine.logging import MMLogger

from da2zoe.checkpoint import load_pretrained
from da2zoe.models.depthers.feature_blocks import check_feature_blocks
from da2zoe.registry import MODELS

CONFIG = 'configs/da2zoe-dpt_vitl_nyu.py'
ARCH = dict(embed_dims=32, num_layers=6, num_heads=2,
            feature_blocks=(1, 2, 4, 5))


def tiny(out_indices, pretrained=None) -> torch.nn.Module:
    cfg = Config.fromfile(CONFIG).model
    cfg.backbone.update(arch=dict(ARCH), out_indices=out_indices)
    cfg.neck.update(in_channels=32, features=8, out_channels=[8, 8, 8, 8])
    cfg.head.update(bottleneck_channels=8, level_channels=8)
    cfg.init_cfg = None  # the config's official weights: not this arch
    cfg.pretrained = pretrained
    return MODELS.build(cfg)


def da2_checkpoint(model, path) -> None:
    """The model's encoder and decoder in DA-V2's released layout."""
    state = {}
    for key, value in model.state_dict().items():
        for ours, theirs in (('backbone.', 'pretrained.'),
                             ('neck.', 'depth_head.')):
            if key.startswith(ours):
                state[theirs + key[len(ours):]] = value
    torch.save(state, path)


def test_da2_decoder_into_v1_blocks_warns(tmp_path, caplog):
    path = tmp_path / 'depth_anything_v2_tiny.pth'
    da2_checkpoint(tiny(None), path)
    v1_blocks = tiny(4)  # the last 4 blocks, as V1 reads them
    result = load_pretrained(v1_blocks, str(path))
    message = check_feature_blocks(v1_blocks, result, path.name)
    assert message is not None
    assert "'depth_anything_v2'" in message
    assert '[1, 2, 4, 5]' in message and '[2, 3, 4, 5]' in message
    assert 'model.backbone.out_indices' in message

    da2_blocks = tiny(None)
    result = load_pretrained(da2_blocks, str(path))
    assert check_feature_blocks(da2_blocks, result, path.name) is None


def test_pretrained_in_config_warns(tmp_path):
    path = tmp_path / 'depth_anything_v2_tiny.pth'
    da2_checkpoint(tiny(None), path)
    logger = MMLogger.get_instance('feature_blocks_test')
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger.addHandler(handler)
    try:
        tiny(4, pretrained=str(path)).init_weights()
    finally:
        logger.removeHandler(handler)
    warnings = [r.getMessage() for r in records
                if r.levelno == logging.WARNING and 'encoder blocks' in
                r.getMessage()]
    assert len(warnings) == 1 and path.name in warnings[0]


def test_encoder_only_checkpoint_is_not_checked(tmp_path):
    path = tmp_path / 'encoder.pth'
    model = tiny(None)
    torch.save({'pretrained.' + k[len('backbone.'):]: v
                for k, v in model.state_dict().items()
                if k.startswith('backbone.')}, path)
    v1_blocks = tiny(4)
    result = load_pretrained(v1_blocks, str(path))
    assert check_feature_blocks(v1_blocks, result, path.name) is None
