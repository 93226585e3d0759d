"""Depth Anything 3 through every entry point, from a released-layout
snapshot folder (model.safetensors + config.json): the Python API,
tools/infer.py, tools/test.py (NYU with NYU's intrinsics), and both
fine-tuning recipes trained a few steps and then tested."""
import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from da2zoe.apis import inference, init_model
from da2zoe.checkpoint import convert_state_dict, load_weights
from da2zoe.cli import infer as infer_cli
from da2zoe.testing.da3_snapshot import write_tiny_da3_snapshot
from tiny_depther import write_tiny_model

REPO = Path(__file__).resolve().parents[2]
DA3 = REPO / 'configs' / 'da3'
TINY_ENCODER = ('dict(_delete_=True, embed_dims=64, num_layers=4, '
                'num_heads=2, feature_blocks=(0, 1, 2, 3), '
                'final_norm_eps=1e-5, mask_token=False)')
TINY_HEAD = 'in_channels=64, features=16, out_channels=[8, 16, 32, 64]'
SMALL_RUN = '''
def _small(pipeline):
    out = []
    for t in pipeline:
        if t['type'] == 'LongestSideResize':
            t = dict(t, process_res=140)
        elif t['type'] == 'DepthRandomCrop':
            t = dict(t, crop_size=(56, 70))
        elif t['type'] == 'KeepAspectResize':
            t = dict(t, min_size=56)
        out.append(t)
    return out


train_pipeline = _small(_base_.train_pipeline)
test_pipeline = _small(_base_.test_pipeline)
train_dataloader = dict(batch_size=2, num_workers=0, dataset=dict(
    data_root='{nyu}', pipeline=train_pipeline))
val_dataloader = dict(num_workers=0, dataset=dict(
    data_root='{nyu}', pipeline=test_pipeline))
test_dataloader = val_dataloader
train_cfg = dict(max_epochs=1, val_interval=1)
default_hooks = dict(logger=dict(interval=1),
                     visualization=dict(interval=1000))
del _small
'''


def write_config(folder: Path, name: str, snapshot: str, nyu: Path) -> str:
    """configs/da3/<name> with the tiny DA3 shapes, the snapshot as its
    weights and the synthetic NYU rooms as its data."""
    base = DA3 / name
    if 'zoedepth' in name:
        model = (f'model = dict(backbone=dict(arch={TINY_ENCODER}, '
                 f"init_cfg=dict(checkpoint='{snapshot}')), "
                 'neck=dict(in_channels=64, channels=32), '
                 'head=dict(bottleneck_channels=32, level_channels=32, '
                 'n_bins=16, bin_embedding_dim=16))')
    else:
        model = (f'model = dict(backbone=dict(arch={TINY_ENCODER}), '
                 f'head=dict({TINY_HEAD}), '
                 f"init_cfg=dict(checkpoint='{snapshot}'))")
    path = folder / f'tiny_{name}'
    path.write_text(f"_base_ = ['{base}']\n{model}\n" +
                    SMALL_RUN.replace('{nyu}', str(nyu)))
    return str(path)


def run(tool: str, *args, cwd: Path):
    env = dict(os.environ, OMP_NUM_THREADS='2', HF_HUB_OFFLINE='1')
    result = subprocess.run(
        [sys.executable, str(REPO / 'tools' / tool), *map(str, args)],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-4000:]
    return out


@pytest.fixture(scope='module')
def released(tmp_path_factory, synthetic_root):
    root = tmp_path_factory.mktemp('da3')
    snapshot = write_tiny_da3_snapshot(root / 'DA3METRIC-LARGE', seed=5)
    nyu = synthetic_root / 'nyu'
    config = write_config(root, 'da3metric-large.py', snapshot, nyu)
    return root, snapshot, config, nyu


def test_api_and_infer_tool_give_the_same_depth(released):
    root, snapshot, config, nyu = released
    image = cv2.imread(str(next((nyu / 'data').rglob('*.jpg'))))
    assert image is not None
    cv2.imwrite(str(root / 'room.png'), image)
    model = init_model(config, snapshot)
    camera = (90.0, 95.0, 63.5, 47.5)
    depth = inference(model, image, intrinsics=camera, process_res=140)
    assert depth.shape == image.shape[:2] and np.isfinite(depth).all()
    wider = inference(model, image, intrinsics=(45.0, 47.5, 63.5, 47.5),
                      process_res=140)
    np.testing.assert_allclose(wider, depth / 2, rtol=1e-5)

    out = root / 'infer'
    assert infer_cli.main([config, snapshot, str(root / 'room.png'),
                      '--out-dir', str(out), '--save', 'npy',
                      '--process-res', '140', '--intrinsics',
                      *map(str, camera)]) == 0
    np.testing.assert_allclose(np.load(out / 'room_depth.npy'), depth,
                               rtol=1e-6)

    # The sky branch: API score, tools/infer.py --sky mask (255 = sky).
    same, sky = inference(model, image, intrinsics=camera, process_res=140,
                          return_sky=True)
    np.testing.assert_array_equal(same, depth)
    assert sky.shape == depth.shape and (sky >= 0).all()
    assert infer_cli.main([config, snapshot, str(root / 'room.png'),
                      '--out-dir', str(out), '--save', 'npy', '--sky',
                      '--process-res', '140', '--intrinsics',
                      *map(str, camera)]) == 0
    mask = cv2.imread(str(out / 'room_sky.png'), cv2.IMREAD_UNCHANGED)
    np.testing.assert_array_equal(mask, np.where(sky >= 0.3, 255, 0))
    zoe_config, zoe_weights = write_tiny_model(str(root))
    assert infer_cli.main([zoe_config, zoe_weights, str(root / 'room.png'),
                      '--out-dir', str(out), '--sky']) == 2


def test_a_thin_strip_is_refused_before_the_network(released):
    _, snapshot, config, _ = released
    model = init_model(config, snapshot)
    with pytest.raises(ValueError, match='10x2000.*process_res >= 1301'):
        inference(model, np.zeros((10, 2000, 3), np.uint8), intrinsics=50.0)


def test_every_key_loads_and_alpha_is_never_dropped_silently(released):
    """init_model and tools/infer.py take every released tensor; an RGBA
    image is refused before the network (or its alpha dropped on
    request), as the issue asks of DA3's 3-channel input."""
    root, snapshot, config, nyu = released
    weights = convert_state_dict(load_weights(snapshot))[0]
    model = init_model(config, snapshot)
    assert set(model.state_dict()) == set(weights)
    for key, value in model.state_dict().items():
        assert torch.equal(value, weights[key]), key

    image = cv2.imread(str(next((nyu / 'data').rglob('*.jpg'))))
    alpha = np.full(image.shape[:2] + (1, ), 200, np.uint8)
    for channels in (2, 4):
        bad = np.concatenate([image[..., :channels - 1], alpha], axis=2)
        with pytest.raises(ValueError,
                           match=f'image 0 has an alpha channel '
                           f'\\({channels} channels'):
            inference(model, bad, intrinsics=50.0, process_res=140)
    depth = inference(model, image, intrinsics=50.0, process_res=140)
    np.testing.assert_array_equal(
        inference(model, np.concatenate([image, alpha], axis=2),
                  intrinsics=50.0, process_res=140, alpha='drop'), depth)

    folder = root / 'alpha_inputs'
    folder.mkdir()
    cv2.imwrite(str(folder / 'room.png'), image)
    cv2.imwrite(str(folder / 'cut_out.png'),
                np.concatenate([image, alpha], axis=2))
    cv2.imwrite(str(folder / 'strip.png'), np.zeros((10, 2000, 3), np.uint8))
    common = ('--save', 'npy', '--process-res', '140', '--intrinsics',
              '50', '50', '63.5', '47.5')
    log = run('infer.py', config, snapshot, folder, '--out-dir',
              root / 'alpha_error', *common, cwd=root)
    assert "Loaded 126 tensors into MetricDepther from '" in log
    assert 'Missing keys' not in log and 'Unexpected keys' not in log
    assert 'skipped cut_out' in log and 'has an alpha channel' in log
    # The strip fails alone (its batch-mate room.png is still written).
    assert 'skipped strip' in log and '10x2000' in log
    assert 'done 1, failed 2' in log
    assert infer_cli.main([config, snapshot, str(folder), '--out-dir',
                      str(root / 'alpha_drop'), '--alpha', 'drop',
                      *common]) == 0
    np.testing.assert_array_equal(
        np.load(root / 'alpha_drop' / 'cut_out_depth.npy'),
        np.load(root / 'alpha_drop' / 'room_depth.npy'))


def test_test_tool_uses_nyu_intrinsics_and_records_the_protocol(released):
    root, snapshot, config, nyu = released
    out_json = root / 'released.json'
    log = run('test.py', config, snapshot, '--datasets', 'nyu',
              '--nyu-csv', nyu / 'data/nyu2_test.csv', '--nyu-root', nyu,
              '--process-res', '140', '--out-json', out_json, cwd=root)
    assert 'no focal length' not in log  # NYU's calibration was used
    assert "Loaded 126 tensors into MetricDepther from '" in log
    assert 'layout: depth_anything_3' in log
    assert 'Missing keys' not in log and 'Unexpected keys' not in log
    result = json.loads(out_json.read_text())
    assert np.isfinite(result['metrics']['abs_rel'])
    protocol = result['protocol']
    assert protocol['camera']['canonical_focal'] == 300.0
    assert protocol['camera']['focal_rule'] == 'mean_fx_fy'
    assert protocol['metrics']['alignment'].startswith('none')  # metric
    resize = protocol['datasets']['nyu']['input']['pipeline_resize']
    assert resize['process_res'] == 140


@pytest.mark.parametrize('name', ['da3metric-large_nyu.py',
                                  'da3-encoder_zoedepth_nyu.py'])
def test_fine_tuning_recipe_trains_then_tests(released, name):
    root, snapshot, _, nyu = released
    config = write_config(root, name, snapshot, nyu)
    work = root / name.replace('.py', '')
    log = run('train.py', config, '--work-dir', work, cwd=root)
    assert 'loss_silog' in log
    assert 'Missing keys' not in log  # init_cfg: the released weights
    checkpoint = work / 'checkpoint_latest.pth'
    assert checkpoint.is_file()
    out_json = work / 'test.json'
    run('test.py', config, checkpoint, '--out-json', out_json, cwd=root)
    metrics = json.loads(out_json.read_text())['metrics']
    assert np.isfinite(metrics['abs_rel']) and 0 <= metrics['d1'] <= 1
