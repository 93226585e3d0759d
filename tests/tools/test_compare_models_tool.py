"""tools/analysis_tools/compare_models.py: two tiny models on synthetic
data, the marked best checked against an independent evaluation; bad
models refused before any evaluation."""
import json
from pathlib import Path

import cv2
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from test_analysis_tools import load_tool

from da2zoe.evaluation.metrics.depth_metric import DepthMetric
from da2zoe.registry import DATASETS, MODELS
from tiny_depther import ROOT

TINY = str(Path(ROOT) / 'configs/da2zoe_tiny_synthetic.py')


@pytest.fixture(scope='module')
def tool():
    return load_tool('analysis_tools', 'compare_models.py')


@pytest.fixture(scope='module')
def two_models(tmp_path_factory):
    """A 4-block tiny config and two differently initialised checkpoints."""
    folder = tmp_path_factory.mktemp('compare')
    cfg = Config.fromfile(TINY)
    cfg.merge_from_dict({'model.backbone.arch.num_layers': 4,
                         'model.backbone.out_indices': [0, 1, 2, 3]})
    config = folder / 'tiny4.py'
    cfg.dump(str(config))
    paths = []
    for seed in (0, 1):
        torch.manual_seed(seed)
        model = MODELS.build(cfg.model)
        path = folder / f'seed{seed}.pth'
        torch.save({'state_dict': model.state_dict()}, path)
        paths.append(path)
    return config, paths


def data_options(synthetic_root):
    return ['--cfg-options',
            f'test_dataloader.dataset.data_root={synthetic_root / "nyu"}']


def direct_metrics(config, checkpoint, synthetic_root) -> dict:
    """Independent path: the dataset, test_step and DepthMetric by hand."""
    cfg = Config.fromfile(str(config))
    model = MODELS.build(cfg.model).eval()
    state = torch.load(checkpoint, weights_only=True)['state_dict']
    model.load_state_dict(state)
    dataset_cfg = cfg.test_dataloader.dataset
    dataset_cfg.data_root = str(synthetic_root / 'nyu')
    dataset = DATASETS.build(dataset_cfg)
    metric = DepthMetric()
    with torch.no_grad():
        for i in range(len(dataset)):
            batch = pseudo_collate([dataset[i]])
            metric.process(None, model.test_step(batch))
    return metric.compute_metrics(metric.results)


def test_two_models_best_marked_right(tool, two_models, synthetic_root,
                                      tmp_path, capsys):
    config, (ckpt_a, ckpt_b) = two_models
    out = tmp_path / 'out'
    status = tool.main([f'A={config}:{ckpt_a}', f'B={config}:{ckpt_b}',
                        '--dataset', str(config), '--out-dir', str(out),
                        '--show', '1'] + data_options(synthetic_root))
    printed = capsys.readouterr().out
    assert status == 0, printed
    result = json.loads((out / 'comparison.json').read_text())
    expected = {name: direct_metrics(config, ckpt, synthetic_root)
                for name, ckpt in (('A', ckpt_a), ('B', ckpt_b))}
    for name in 'AB':
        got = result['models'][name]['metrics']
        for key, value in expected[name].items():
            assert got[key] == pytest.approx(value, rel=1e-9, abs=1e-12)
        record = result['models'][name]['protocol']
        assert record['datasets']['nyu']['eval_crop'] == 'eigen'
    assert expected['A']['abs_rel'] != expected['B']['abs_rel']
    for key, way in (('abs_rel', min), ('rmse', min), ('silog', min),
                     ('d1', max), ('d2', max), ('d3', max)):
        values = {n: expected[n][key] for n in 'AB'}
        winners = [n for n in 'AB' if values[n] == way(values.values())]
        assert result['best'][key] == winners, key  # ties: both marked
        for name in 'AB':
            cell = f'{values[name]:.4f}'
            row = next(line for line in printed.splitlines()
                       if line.startswith(name + ' '))
            md_row = next(line for line in (out / 'comparison.md')
                          .read_text().splitlines()
                          if line.startswith(f'| {name} |'))
            assert (cell + '*' in row) == (name in winners), (key, row)
            assert (f'**{cell}**' in md_row) == (name in winners)
    assert result['differences'] == []
    panel = cv2.imread(str(next((out / 'panels').glob('*.png'))))
    assert panel.shape == (2 * 96, 4 * 128, 3)  # image GT A B; errors below


@pytest.mark.parametrize('broken', ['config', 'checkpoint', 'spec'])
def test_unreadable_model_refused_before_evaluation(
        tool, two_models, synthetic_root, tmp_path, capsys, broken):
    config, (ckpt_a, _) = two_models
    bad_ckpt = tmp_path / 'garbage.pth'
    bad_ckpt.write_bytes(b'not a checkpoint')
    second = dict(config=f'bad={tmp_path / "missing.py"}:{ckpt_a}',
                  checkpoint=f'bad={config}:{bad_ckpt}',
                  spec=f'{config}')[broken]
    status = tool.main([f'good={config}:{ckpt_a}', second, '--dataset',
                        str(config), '--out-dir', str(tmp_path / 'o')]
                       + data_options(synthetic_root))
    captured = capsys.readouterr()
    assert status == 2
    named = dict(config='missing.py', checkpoint='garbage.pth',
                 spec='CONFIG:CHECKPOINT')[broken]
    assert named in captured.err
    if broken != 'spec':
        assert "model 'bad'" in captured.err
    assert 'evaluating' not in captured.out
    assert not (tmp_path / 'o' / 'comparison.json').exists()


def test_own_pipelines_differ_and_are_reported(tool, two_models,
                                               synthetic_root, tmp_path,
                                               capsys):
    config, (ckpt_a, _) = two_models
    cfg = Config.fromfile(str(config))
    for pipeline in (cfg.test_pipeline, cfg.test_dataloader.dataset.pipeline):
        pipeline[2].min_size = 112  # KeepAspectResize: another input rule
    small = tmp_path / 'tiny4_112.py'
    cfg.dump(str(small))
    out = tmp_path / 'out'
    status = tool.main([f'A={config}:{ckpt_a}', f'A112={small}:{ckpt_a}',
                        '--dataset', str(config), '--pipeline', 'model',
                        '--out-dir', str(out)] + data_options(synthetic_root))
    captured = capsys.readouterr()
    assert status == 0, captured.err[-2000:]
    result = json.loads((out / 'comparison.json').read_text())
    assert result['pipeline'] == 'model'
    assert 'datasets.nyu.input.pipeline_resize.min_size' in result[
        'differences']
    assert 'pipeline_resize.min_size' in captured.err  # the warning
    got = result['models']['A112']['metrics']
    expected = direct_metrics(small, ckpt_a, synthetic_root)
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, rel=1e-9, abs=1e-12)
    assert got['rmse'] != result['models']['A']['metrics']['rmse']
