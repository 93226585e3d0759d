"""A frozen encoder that received no pretrained weights is not silent."""
import pytest
import torch

from da2zoe.models.backbones import DINOv2
from da2zoe.models.backbones import dinov2 as dinov2_module

TINY = dict(embed_dims=32, num_layers=2, num_heads=2)


@pytest.fixture
def logged(monkeypatch):
    messages = []
    monkeypatch.setattr(dinov2_module, 'print_log',
                        lambda msg, *args, **kwargs: messages.append(msg))
    return messages


def test_training_a_random_frozen_encoder_warns_once(logged):
    encoder = DINOv2('vits', frozen=True)
    assert not logged  # building it is fine; training it is not
    encoder.train()
    encoder.train()
    assert len(logged) == 1
    assert 'FROZEN' in logged[0] and 'RANDOM' in logged[0]
    assert '--pretrained-checkpoint depth_anything_v2_vits.pth' in logged[0]
    assert 'hf://depth-anything/Depth-Anything-V2-Small-hf' in logged[0]
    assert 'allow_random_frozen=True' in logged[0]
    assert not encoder.training  # still kept in eval


def test_loaded_trainable_or_opted_out_encoders_are_quiet(logged):
    torch.manual_seed(0)
    weights = DINOv2(arch=TINY).state_dict()
    torch.manual_seed(1)
    loaded = DINOv2(arch=TINY, frozen=True)
    loaded.load_state_dict(weights)
    loaded.train()
    DINOv2(arch=TINY).train()
    DINOv2(arch=TINY, frozen=True, allow_random_frozen=True).train()
    assert not logged
    assert 'random_init_probe' not in loaded.state_dict()
