"""Converting any weights source into one da2zoe file, .pth or
.safetensors, and reading that file back wherever weights are taken."""
import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.runner.checkpoint import CheckpointLoader
from safetensors import safe_open

from da2zoe.checkpoint import (
    UnsupportedCheckpointError,
    convert_state_dict,
    load_checkpoint_file,
    load_pretrained,
    load_weights,
    register_safe_globals,
)
from da2zoe.checkpoint.convert_file import convert_checkpoint_file
from da2zoe.checkpoint.da3_layout import to_da3_keys
from da2zoe.testing.da3_snapshot import build_tiny_da3, write_da3_snapshot

ROOT = Path(__file__).parents[2]
GOLDEN = ROOT / 'tests' / 'data' / 'golden'


def tool():
    spec = importlib.util.spec_from_file_location(
        'convert_checkpoint',
        ROOT / 'tools' / 'model_converters' / 'convert_checkpoint.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def da2_relative() -> dict:
    with np.load(GOLDEN / 'da2_relative_tiny.npz', allow_pickle=False) as d:
        return {k[len('param/'):]: torch.from_numpy(d[k])
                for k in d.files if k.startswith('param/')}


def test_pth_to_safetensors_keeps_every_tensor(da2_relative, tmp_path):
    src = tmp_path / 'depth_anything_v2_vittiny.pth'
    torch.save(da2_relative, src)
    dst = tmp_path / 'out' / 'da2.safetensors'
    assert tool().main([str(src), str(dst)]) == 0
    assert [p.name for p in dst.parent.iterdir()] == ['da2.safetensors']
    with safe_open(str(dst), 'pt') as f:
        assert f.metadata() == dict(source_layout='depth_anything_v2',
                                    source_file=str(src), format='pt')
    expected = convert_state_dict(da2_relative)[0]
    register_safe_globals()  # MMEngine's loader (load_from) reads it too
    for state in (load_weights(str(dst)),
                  CheckpointLoader.load_checkpoint(str(dst))):
        converted, layout, _ = convert_state_dict(state)
        assert layout == 'da2zoe'
        assert converted.keys() == expected.keys()
        for key, value in expected.items():
            assert torch.equal(converted[key], value), key


def test_snapshot_folder_and_safetensors_source(tmp_path):
    model = build_tiny_da3(seed=1)
    folder = write_da3_snapshot(tmp_path / 'DA3METRIC-TINY',
                                to_da3_keys(model.state_dict()))
    dst = tmp_path / 'da3.pth'
    assert tool().main([folder, str(dst)]) == 0
    saved = load_checkpoint_file(dst)
    assert saved['meta']['source_layout'] == 'depth_anything_3'
    assert saved['state_dict'].keys() == model.state_dict().keys()
    again = tmp_path / 'again.safetensors'
    convert_checkpoint_file(dst, again)  # a da2zoe file converts as is
    other = build_tiny_da3(seed=2)
    result = load_pretrained(other, str(again), strict=True)
    assert result.layout == 'da2zoe' and result.missing_keys == []
    for key, value in model.state_dict().items():
        assert torch.equal(other.state_dict()[key], value), key


def test_refusals_are_one_line_naming_the_source(tmp_path, capsys):
    state = to_da3_keys(build_tiny_da3().state_dict())
    state['model.backbone.pretrained.camera_token'] = torch.zeros(1, 2, 64)
    folder = write_da3_snapshot(tmp_path / 'DA3-LARGE', state, 'da3-large')
    assert tool().main([folder, str(tmp_path / 'x.pth')]) == 1
    err = capsys.readouterr().err
    assert err.startswith('error: ') and 'DA3-LARGE' in err
    assert 'any-view' in err and 'a camera token' in err
    assert not (tmp_path / 'x.pth').exists()
    with pytest.raises(UnsupportedCheckpointError, match='DA3-LARGE'):
        convert_checkpoint_file(folder, tmp_path / 'x.safetensors')
    assert tool().main([str(tmp_path / 'missing.pth'),
                        str(tmp_path / 'y.pth')]) == 1
    assert 'missing.pth' in capsys.readouterr().err
