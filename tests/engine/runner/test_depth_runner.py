"""DepthRunner: resume / load_from stop on missing or wrong-shaped tensors
(MMEngine's Runner warns and trains on), naming the keys."""
import pytest
import torch
from mmengine.model import BaseModel
from safetensors.torch import save_file

from da2zoe.checkpoint import register_safe_globals
from da2zoe.engine.runner import CheckpointMismatchError, DepthRunner


class Toy(BaseModel):

    def __init__(self, width=3):
        super().__init__()
        self.backbone = torch.nn.Linear(2, width)
        self.head = torch.nn.Linear(width, 1)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        return self.head(self.backbone(inputs))


@pytest.fixture
def runner(tmp_path):
    register_safe_globals()
    return DepthRunner(model=Toy(), work_dir=str(tmp_path / 'work'),
                       default_scope='da2zoe')


def save(tmp_path, model, drop=()):
    state = {k: v for k, v in model.state_dict().items() if k not in drop}
    path = tmp_path / 'ckpt.pth'
    torch.save(dict(state_dict=state), path)
    return str(path)


def test_fitting_checkpoint_loads(runner, tmp_path):
    source = Toy()
    runner.load_checkpoint(save(tmp_path, source))
    torch.testing.assert_close(runner.model.head.weight, source.head.weight)


def test_missing_and_wrong_shaped_tensors_stop_naming_keys(runner,
                                                           tmp_path):
    path = save(tmp_path, Toy(width=4), drop=('head.bias', ))
    with pytest.raises(CheckpointMismatchError) as info:
        runner.load_checkpoint(path)
    message = str(info.value)
    assert message.startswith(f'checkpoint {path} does not fit the model')
    assert '1 missing tensors: head.bias' in message
    assert ('3 tensors of another shape: backbone.weight ((4, 2) vs (3, 2)),'
            ' backbone.bias ((4,) vs (3,)), head.weight ((1, 4) vs (1, 3))'
            ) in message


def test_resume_goes_through_the_same_check(runner, tmp_path):
    path = save(tmp_path, Toy(), drop=('backbone.weight', ))
    with pytest.raises(CheckpointMismatchError, match='backbone.weight'):
        runner.resume(path)


def test_safetensors_loads_from_but_does_not_resume(runner, tmp_path):
    """load_from takes a .safetensors file (e.g. convert_checkpoint.py's)
    like a .pth; resuming from one is refused by name."""
    source = Toy()
    path = str(tmp_path / 'weights.safetensors')
    save_file(source.state_dict(), path)
    runner.load_checkpoint(path)
    torch.testing.assert_close(runner.model.head.weight, source.head.weight)
    with pytest.raises(ValueError, match=r'weights\.safetensors: a '
                       r'\.safetensors file holds weights only'):
        runner.resume(path)
