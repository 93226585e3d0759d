"""tools/test.py: several datasets in one run, predictions, panels, flip."""
import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from mmengine.dataset import pseudo_collate
from mmengine.registry import DefaultScope

from da2zoe.apis import init_model
from da2zoe.datasets import build_seed_datasets
from da2zoe.evaluation.protocol import file_sha256
from da2zoe.registry import DATASETS

REPO = Path(__file__).resolve().parents[2]
TINY = str(REPO / 'configs/da2zoe_tiny_synthetic.py')
TINY_MODEL = {'model.backbone.arch.num_layers': 4,
              'model.backbone.out_indices': [0, 1, 2, 3]}
CFG_OPTIONS = ['--cfg-options', 'model.backbone.arch.num_layers=4',
               'model.backbone.out_indices=[0,1,2,3]']
DENSE_METRICS = ('d1', 'd2', 'd3', 'abs_rel', 'sq_rel', 'rmse', 'rmse_log',
                 'log10', 'silog')


def data_args(root: Path, datasets=('nyu', 'sunrgbd', 'da2k')) -> list:
    paths = dict(
        nyu=['--nyu-csv', root / 'nyu/data/nyu2_test.csv', '--nyu-root',
             root / 'nyu'],
        sunrgbd=['--sunrgbd-json', 'sunrgbd_test.json', '--sunrgbd-root',
                 root / 'sunrgbd'],
        da2k=['--da2k-root', root / 'da2k'])
    args = ['--datasets'] + list(datasets)
    for name in datasets:
        args += paths[name]
    return args


def run_test(args, cwd) -> str:
    env = dict(os.environ, OMP_NUM_THREADS='2')
    result = subprocess.run(
        [sys.executable, str(REPO / 'tools/test.py')] + [str(a) for a in args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-4000:]
    return out


@pytest.fixture(scope='module')
def three_sets(synthetic_root, tiny_checkpoint, tmp_path_factory):
    """nyu + sunrgbd + da2k in one run, with --out-dir and --show-dir."""
    out = tmp_path_factory.mktemp('three_sets')
    log = run_test([TINY, tiny_checkpoint, '--work-dir', out / 'work',
                    '--out-json', out / 'metrics.json', '--out-dir',
                    out / 'pred', '--show-dir', out / 'show'] +
                   data_args(synthetic_root) + CFG_OPTIONS, out)
    return out, log


def predicted_depth(checkpoint: Path, root: Path, flip: bool) -> tuple:
    """In-process prediction of the NYU test image through test_pipeline."""
    model = init_model(TINY, checkpoint,
                       cfg_options=dict(TINY_MODEL,
                                        **{'model.test_cfg.flip': flip}))
    dataset_cfg = build_seed_datasets(
        ['nyu'],
        dict(nyu_csv=str(root / 'nyu/data/nyu2_test.csv'),
             nyu_root=str(root / 'nyu')),
        pipeline=model.cfg.test_pipeline, test_mode=True)
    with DefaultScope.overwrite_default_scope('da2zoe'):
        dataset = DATASETS.build(dataset_cfg)
        with torch.no_grad():
            sample = model.test_step(pseudo_collate([dataset[0]]))[0]
    img_path = Path(sample.metainfo['img_path'])
    name = Path(img_path.parent.name) / (img_path.stem + '.png')
    return name, sample.pred_depth.squeeze(0).numpy()


def test_several_datasets_one_table_one_json(three_sets, tiny_checkpoint):
    out, log = three_sets
    record = json.loads((out / 'metrics.json').read_text())
    metrics = record['metrics']
    # The protocol the numbers were obtained with travels with them.
    protocol = record['protocol']
    assert protocol['checkpoint']['sha256'] == file_sha256(
        str(tiny_checkpoint))
    assert protocol['flip'] is False
    assert protocol['versions']['torch'] == torch.__version__.split('+')[0]
    nyu = protocol['datasets']['nyu']
    assert (nyu['eval_min_depth'], nyu['eval_max_depth'],
            nyu['eval_crop']) == (1e-3, 10.0, 'eigen')
    assert nyu['input']['pipeline'][0] == 'LoadRGB'
    assert protocol['datasets']['sunrgbd']['eval_max_depth'] == 8.0
    assert 'ZoeDepth' in protocol['metrics']['silog']
    assert f"sha256 {protocol['checkpoint']['sha256']}" in log
    for name in ('nyu', 'sunrgbd'):
        for metric in DENSE_METRICS:
            assert np.isfinite(metrics[f'{name}/{metric}']), (name, metric)
    assert 0.0 <= metrics['da2k/acc'] <= 1.0
    # The un-prefixed keys hold the mean over the dense sets.
    assert metrics['abs_rel'] == pytest.approx(
        (metrics['nyu/abs_rel'] + metrics['sunrgbd/abs_rel']) / 2)

    # One summary table: a row per dataset (and the dense mean).
    header = [line for line in log.splitlines()
              if line.startswith('dataset ') and line.rstrip().endswith(
                  '| acc')]
    assert len(header) == 1, log[-3000:]
    lines = log.splitlines()
    start = lines.index(header[0])
    rows = [line.split('|')[0].strip() for line in lines[start + 2:start + 6]]
    assert rows == ['nyu', 'sunrgbd', 'da2k', 'mean']
    da2k_row = lines[start + 4].split('|')
    assert da2k_row[-1].strip() == f'{metrics["da2k/acc"]:.4f}'


def test_out_dir_writes_millimetre_pngs(three_sets, synthetic_root,
                                        tiny_checkpoint):
    out, _ = three_sets
    written = sorted(p.relative_to(out / 'pred').parts[0]
                     for p in (out / 'pred').rglob('*.png'))
    assert written == ['da2k'] * 5 + ['nyu', 'sunrgbd']
    name, depth = predicted_depth(tiny_checkpoint, synthetic_root, flip=False)
    png = cv2.imread(str(out / 'pred/nyu' / name), cv2.IMREAD_UNCHANGED)
    assert png.dtype == np.uint16 and png.shape == depth.shape
    np.testing.assert_array_less(
        np.abs(png.astype(np.float64) - depth * 1000.0), 1.0)


def test_show_dir_writes_panels(three_sets):
    out, _ = three_sets
    panels = sorted((out / 'show').glob('*.png'))
    assert len(panels) == 7  # every tested image
    for path in panels:
        image = cv2.imread(str(path))
        # Image | GT | prediction | error side by side at 96x128.
        assert image is not None and image.shape == (96, 4 * 128, 3)


def test_flip_averages_the_flipped_prediction(three_sets, synthetic_root,
                                              tiny_checkpoint, tmp_path):
    out, _ = three_sets
    run_test([TINY, tiny_checkpoint, '--work-dir', tmp_path / 'work',
              '--flip', '--out-json', tmp_path / 'flip.json', '--out-dir',
              tmp_path / 'pred'] + data_args(synthetic_root, ('nyu', )) +
             CFG_OPTIONS, tmp_path)
    name, flipped = predicted_depth(tiny_checkpoint, synthetic_root, True)
    png = cv2.imread(str(tmp_path / 'pred/nyu' / name), cv2.IMREAD_UNCHANGED)
    np.testing.assert_array_less(
        np.abs(png.astype(np.float64) - flipped * 1000.0), 1.0)
    plain = cv2.imread(str(out / 'pred/nyu' / name), cv2.IMREAD_UNCHANGED)
    assert np.abs(png.astype(np.int64) - plain).max() > 1  # flip changed it
    metrics = json.loads((tmp_path / 'flip.json').read_text())['metrics']
    three = json.loads((out / 'metrics.json').read_text())['metrics']
    assert set(metrics) == set(DENSE_METRICS)  # one set: plain keys
    assert metrics['abs_rel'] != pytest.approx(three['nyu/abs_rel'])
