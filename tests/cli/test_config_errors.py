"""da2zoe.cli.config_errors: an unknown registry type is one line naming the
key and the registered choices, exit status 2, no traceback."""
import pytest
from mmengine.config import Config

from da2zoe.cli import config_errors
from da2zoe.cli import train as train_tool
from da2zoe.registry import MODELS
from tiny_depther import ROOT

TINY = f'{ROOT}/configs/da2zoe_tiny_synthetic.py'


def test_unknown_model_type_names_key_and_choices(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit:
        train_tool.main([TINY, '--work-dir', str(tmp_path), '--cfg-options',
                         'model.head.type=ZoeDepthHeed'])
    assert exit.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith(
        "error: unknown model type 'ZoeDepthHeed' (model.head.type); did "
        'you mean ZoeDepthHead? registered: ')
    assert all(name in err[0] for name in MODELS.module_dict)


def test_message_for_a_lazily_built_dataset():
    cfg = Config(dict(train_dataloader=dict(dataset=dict(type='Nope'))))
    error = KeyError('Nope is not in the da2zoe::dataset registry. Please '
                     'check whether the value of `Nope` is correct')
    message = config_errors.unknown_type_message(error, cfg)
    assert message.startswith("unknown dataset type 'Nope' "
                              '(train_dataloader.dataset.type); registered:')
    assert 'NYUCSVDataset' in message
    assert config_errors.unknown_type_message(KeyError('other')) is None


def test_other_key_errors_pass_through():
    with pytest.raises(KeyError, match='unrelated'):
        with config_errors.one_line_config_errors():
            raise KeyError('unrelated')


def test_wrong_config_path_in_process(capsys):
    assert train_tool.main(['configs/nope_nyu.py']) == 2
    assert 'error: config configs/nope_nyu.py does not exist' in (
        capsys.readouterr().err)
