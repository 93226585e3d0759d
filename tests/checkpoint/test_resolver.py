"""Weights resolver: files, safetensors, snapshot folders, hf:// offline."""
import json

import huggingface_hub
import pytest
import torch
from safetensors.torch import save_file

from da2zoe.checkpoint import load_pretrained, load_weights, resolve_weights
from da2zoe.models.backbones import DINOv2

TINY = dict(embed_dims=32, num_layers=2, num_heads=2)


def encoder_state(seed: int = 0) -> dict:
    torch.manual_seed(seed)
    return DINOv2(arch=TINY, img_size=56).state_dict()


def write_snapshot(folder, state: dict, shards: int = 1) -> None:
    """A Hugging Face style folder: config.json + (sharded) safetensors."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / 'config.json').write_text('{"model_type": "dinov2"}')
    if shards == 1:
        save_file(state, str(folder / 'model.safetensors'))
        return
    keys = list(state)
    weight_map = {}
    for i in range(shards):
        name = f'model-{i + 1:05d}-of-{shards:05d}.safetensors'
        part = {k: state[k] for k in keys[i::shards]}
        save_file(part, str(folder / name))
        weight_map.update(dict.fromkeys(part, name))
    (folder / 'model.safetensors.index.json').write_text(
        json.dumps(dict(metadata={}, weight_map=weight_map)))


def assert_loads(spec, state: dict) -> None:
    model = DINOv2(arch=TINY, img_size=56)
    result = load_pretrained(model, spec, prefix_filter='backbone.',
                             strict=True)
    assert result.layout == 'dinov2_hub'
    for key, value in model.state_dict().items():
        assert torch.equal(value, state[key]), key


@pytest.mark.parametrize('shards', [1, 3])
def test_snapshot_folder_and_safetensors_file(tmp_path, shards):
    state = encoder_state()
    write_snapshot(tmp_path / 'snap', state, shards)
    assert len(resolve_weights(tmp_path / 'snap')) == shards
    assert_loads(str(tmp_path / 'snap'), state)
    if shards == 1:
        assert_loads(tmp_path / 'snap' / 'model.safetensors', state)


def test_pytorch_model_bin_folder(tmp_path):
    state = encoder_state(1)
    (tmp_path / 'config.json').write_text('{}')
    torch.save(state, tmp_path / 'pytorch_model.bin')
    assert_loads(str(tmp_path), state)


def test_hf_scheme_reads_the_cache_offline(tmp_path, monkeypatch):
    """hf://owner/repo[/file] from a populated hub cache, no network."""
    state = encoder_state(2)
    repo = tmp_path / 'cache' / 'models--someone--tiny-dinov2'
    commit = 'a' * 40
    write_snapshot(repo / 'snapshots' / commit, state)
    (repo / 'refs').mkdir()
    (repo / 'refs' / 'main').write_text(commit)
    monkeypatch.setattr(huggingface_hub.constants, 'HF_HUB_OFFLINE', True)
    cache = str(tmp_path / 'cache')
    for spec in ('hf://someone/tiny-dinov2',
                 'hf://someone/tiny-dinov2/model.safetensors'):
        files = resolve_weights(spec, cache_dir=cache)
        assert files[0].endswith('model.safetensors')
        loaded = load_weights(spec, cache_dir=cache)
        assert all(torch.equal(loaded[k], v) for k, v in state.items())
    with pytest.raises(FileNotFoundError, match="'hf://someone/missing'"):
        resolve_weights('hf://someone/missing', cache_dir=cache)


def test_bad_specs_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='No checkpoint file'):
        resolve_weights(tmp_path / 'nope.pth')
    (tmp_path / 'empty').mkdir()
    with pytest.raises(FileNotFoundError, match='holds none of'):
        resolve_weights(tmp_path / 'empty')
    (tmp_path / 'bad.safetensors').write_bytes(b'not a safetensors file')
    with pytest.raises(ValueError, match='bad.safetensors'):
        load_weights(tmp_path / 'bad.safetensors')
    with pytest.raises(ValueError, match='hf://<owner>/<repo>'):
        resolve_weights('hf://lonely')
