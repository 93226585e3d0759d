"""get_flops (vs an analytic ViT count), analyze_logs and print_config."""
import importlib.util
import json
import os.path as osp

import cv2
import pytest

from tiny_depther import ROOT, VITS_CONFIG


def load_tool(*parts):
    path = osp.join(ROOT, 'tools', *parts)
    spec = importlib.util.spec_from_file_location(parts[-1][:-3], path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def vit_macs(height, width, dims=384, layers=12, patch=14, mlp_ratio=4):
    """Multiply-adds of a ViT forward pass, counted from its shapes."""
    patches = (height // patch) * (width // patch)
    tokens = patches + 1  # class token
    patch_embed = patches * (3 * patch * patch) * dims
    qkv = tokens * dims * 3 * dims
    proj = tokens * dims * dims
    mlp = 2 * tokens * dims * mlp_ratio * dims
    attention = 2 * tokens * tokens * dims  # q k^T and attn v, all heads
    return patch_embed + layers * (qkv + proj + mlp + attention)


@pytest.fixture(scope='module')
def vits_flops():
    get_flops = load_tool('analysis_tools', 'get_flops.py')
    model = get_flops.build_model(VITS_CONFIG)
    rows, unsupported = get_flops.analyze(model, (518, 518))
    return get_flops, model, rows, unsupported


def test_backbone_flops_match_analytic_count(vits_flops):
    _, _, rows, unsupported = vits_flops
    params, macs = rows['backbone']
    expected = vit_macs(518, 518)  # 46.70 GMACs
    assert abs(macs - expected) / expected < 0.10
    assert 21e6 < params < 23e6
    assert 'aten::scaled_dot_product_attention' not in unsupported


def test_groups_add_up(vits_flops):
    get_flops, model, rows, _ = vits_flops
    total = rows[''][1]
    parts = sum(rows[g][1] for g in ('backbone', 'neck', 'head'))
    assert parts == total
    head_parts = [v[1] for k, v in rows.items() if k.startswith('head.')]
    # The head's own ops (resizing bin centres, the expectation) come on top.
    assert 0.95 * rows['head'][1] < sum(head_parts) <= rows['head'][1]
    table = get_flops.format_table(model, rows)
    assert 'backbone (DINOv2)' in table and 'GFLOPs' in table


def write_log(path, scale):
    """An MMEngine vis_data/scalars.json: train lines and per-epoch val."""
    lines = []
    for it in range(1, 31):
        lines.append(dict(lr=1e-4, data_time=0.01, loss=scale / it,
                          loss_silog=0.6 * scale / it, time=0.2,
                          epoch=1 + (it - 1) // 10, iter=it, memory=120,
                          step=it))
        if it % 10 == 0:
            lines.append({'nyu/d1': 0.5 + it / 100 * scale,
                          'nyu/abs_rel': 0.3 / it, 'data_time': 0.01,
                          'time': 0.1, 'step': it // 10})
    path.parent.mkdir(parents=True)
    path.write_text('\n'.join(json.dumps(line) for line in lines) + '\n')
    return str(path)


def test_plot_curve_several_runs(tmp_path, capsys):
    analyze_logs = load_tool('analysis_tools', 'analyze_logs.py')
    logs = [write_log(tmp_path / run / '20240101_000000' / 'vis_data' /
                      'scalars.json', scale)
            for run, scale in (('run_a', 1.0), ('run_b', 0.5))]
    records = analyze_logs.load_log(logs[0])
    curves = analyze_logs.extract_series(records, 'd1')
    assert list(curves) == ['nyu/d1']
    assert curves['nyu/d1'][0] == [1.0, 2.0, 3.0]
    assert analyze_logs.default_legend(logs[1]) == 'run_b'

    out = tmp_path / 'curves.png'
    assert analyze_logs.main(['plot_curve', *logs, '--keys', 'loss',
                              'loss_silog', 'd1', '--out', str(out),
                              '--legend', 'A', 'B']) == 0
    picture = cv2.imread(str(out))
    assert picture.shape == (900, 800, 3)
    assert analyze_logs.main(['plot_curve', logs[0], '--keys', 'nope',
                              '--out', str(tmp_path / 'x.png')]) == 1
    assert "'nope'" in capsys.readouterr().err


def test_print_config_applies_options(capsys):
    print_config = load_tool('misc', 'print_config.py')
    print_config.main(
        [VITS_CONFIG, '--cfg-options', 'model.head.max_depth=80.0'])
    text = capsys.readouterr().out
    assert 'max_depth=80.0' in text and "type='ZoeDepthHead'" in text


def test_amp_loss_curve_compares_same_batches(synthetic_root, tmp_path):
    tool = load_tool('analysis_tools', 'amp_loss_curve.py')
    out = tmp_path / 'curve.json'
    assert tool.main([
        osp.join(ROOT, 'configs', 'da2zoe_tiny_synthetic.py'), '--steps',
        '3', '--threads', '2', '--control-threads', '1', '--json',
        str(out), '--work-dir', str(tmp_path / 'runs'), '--cfg-options',
        f'train_dataloader.dataset.data_root={synthetic_root / "nyu"}'
    ]) == 0
    result = json.loads(out.read_text())
    assert len(result['fp32']) == len(result['amp']) == 3
    # Step 1 is before any update: same weights and batch, so the losses
    # differ by bf16 arithmetic only, and by summation order in the control.
    first = abs(result['amp'][0] - result['fp32'][0]) / result['fp32'][0]
    assert 0 < first < 1e-2
    assert abs(result['control'][0] - result['fp32'][0]) < 1e-4 * abs(
        result['fp32'][0])
    assert result['max_step_rel_diff'] >= first
