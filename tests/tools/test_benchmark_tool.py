"""tools/analysis_tools/benchmark.py and da2zoe.analysis.benchmark, on a tiny
model: functional checks only, no timing assertions."""
import importlib.util
import json
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from torch.utils.flop_counter import FlopCounterMode

from da2zoe.analysis import benchmark as bm
from da2zoe.analysis.cpu import cpu_info
from da2zoe.models.backbones.attention import Attention
from da2zoe.registry import MODELS
from da2zoe.testing import write_synthetic

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / 'tools' / 'analysis_tools' / 'benchmark.py'

TINY_MODEL = """
model = dict(
    type='MetricDepther',
    data_preprocessor=dict(type='DepthDataPreprocessor', size_divisor=14),
    backbone=dict(type='DINOv2', frozen=True, out_indices=(0, 1, 2, 3),
                  arch=dict(embed_dims=32, num_layers=4, num_heads=2)),
    neck=[dict(type='TokenAdapter', in_channels=32, out_channels=16),
          dict(type='PyramidFusion', in_channels=16, channels=16,
               final_channels=8)],
    head=dict(type='ZoeDepthHead', bottleneck_channels=16, level_channels=16,
              final_channels=8, n_bins=8, bin_embedding_dim=16,
              seed_mlp_dim=16, projector_mlp_dim=16, attractor_mlp_dim=16),
    losses=[dict(type='SILogLoss'), dict(type='GradL1Loss', loss_weight=0.5)],
)
"""

TINY_DATA = """
default_scope = 'da2zoe'
train_dataloader = dict(
    batch_size=2, num_workers=0, persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(type='NYUCSVDataset', data_root={root!r},
                 csv_file='data/nyu2_train.csv',
                 pipeline=[dict(type='LoadRGB'), dict(type='LoadDepth'),
                           dict(type='DepthRandomCrop', crop_size=42),
                           dict(type='PackDepthInputs')]))
"""


@pytest.fixture(scope='module')
def tool():
    spec = importlib.util.spec_from_file_location('benchmark_tool', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def model_config(tmp_path):
    path = tmp_path / 'tiny.py'
    path.write_text(TINY_MODEL)
    return str(path)


@pytest.fixture(scope='module')
def data_config(tmp_path_factory):
    root = tmp_path_factory.mktemp('synthetic')
    write_synthetic(root, 4, 0, (56, 70), ['nyu_csv'])
    path = root / 'tiny_data.py'
    path.write_text(TINY_MODEL + TINY_DATA.format(root=str(root / 'nyu')))
    return str(path)


def run_tool(tool, tmp_path, *argv):
    out = tmp_path / 'result.json'
    assert tool.main([*argv, '--json', str(out)]) == 0
    return json.loads(out.read_text())


FAST = ('--size', '28', '42', '--iters', '1', '--warmup', '0',
        '--peak-gflops', '100')


def test_train_mode_reports_throughput_flops_and_memory(tool, tmp_path,
                                                        model_config, capsys):
    result = run_tool(tool, tmp_path, model_config, '--mode', 'train', *FAST)
    assert result['mode'] == 'train' and result['batch_size'] == 2
    assert not result['train_encoder']
    assert result['images_per_s'] > 0 and len(result['times_s']) == 1
    # A frozen encoder has no backward: less than 3x the forward.
    assert 0 < result['flops_forward'] < result['flops_step'] < \
        result['flops_step_3x_forward']
    assert result['peak_flops'] == 100e9
    assert result['mfu'] == pytest.approx(
        result['flops_step'] / result['median_s'] / 100e9)
    assert result['peak_rss_mb'] > 0
    assert result['with_data']['images_per_s'] is None
    assert 'train_dataloader' in result['with_data']['reason']
    out = capsys.readouterr().out
    assert 'MFU' in out
    # The CPU features the figures hold on travel with them.
    assert result['cpu'] == cpu_info().describe() and 'bf16' in result['cpu']
    assert result['cpu'] in out


def test_train_encoder_step_is_about_three_forwards(tool, tmp_path,
                                                    model_config):
    result = run_tool(tool, tmp_path, model_config, '--train-encoder',
                      '--with-cp', *FAST)
    assert result['train_encoder']
    assert result['switches'] == ['train-encoder', 'with-cp']
    ratio = result['flops_step'] / result['flops_forward']
    assert 2.5 < ratio < 3.5
    # Activation checkpointing recomputes the encoder forward: executed
    # FLOPs are above the model FLOPs that MFU uses.
    assert result['flops_step_executed'] > 1.05 * result['flops_step']


def test_infer_mode_bf16_and_channels_last(tool, tmp_path, model_config):
    result = run_tool(tool, tmp_path, model_config, '--mode', 'infer',
                      '--dtype', 'bf16', '--channels-last', *FAST)
    assert result['batch_size'] == 1 and result['dtype'] == 'bf16'
    assert result['latency_per_image_s'] > 0
    assert result['flops_forward_per_part']['backbone'] > 0
    assert result['achieved_flops'] > 0


def test_data_mode_and_training_with_the_dataloader(tool, tmp_path,
                                                    data_config):
    result = run_tool(tool, tmp_path, data_config, '--mode', 'data',
                      '--data-samples', '3')
    assert result['samples'] == 3 and result['samples_per_s_per_worker'] > 0
    result = run_tool(tool, tmp_path, data_config, '--mode', 'train', *FAST)
    assert result['with_data']['images_per_s'] > 0


def test_data_mode_without_a_dataloader_says_why(tool, tmp_path,
                                                 model_config):
    result = run_tool(tool, tmp_path, model_config, '--mode', 'data')
    assert 'samples_per_s_per_worker' not in result
    assert 'train_dataloader' in result['reason']


def test_arch_switch_sets_the_neck_width(tool, model_config):
    args = tool.parse_args([model_config, '--arch', 'vitl'])
    cfg = tool.load_config(args)
    assert cfg.model.backbone.arch == 'vitl'
    assert cfg.model.neck[0].in_channels == 1024


def test_bad_size_is_refused(tool, model_config):
    assert tool.main([model_config, '--size', '30', '42']) == 2


def test_count_flops_includes_cpu_flash_attention():
    attn = Attention(32, 2).eval()
    x = torch.randn(2, 10, 32)
    total, _ = bm.count_flops(lambda: attn(x))
    linears = 2 * 2 * 10 * 32 * (3 * 32 + 32)
    # q k^T and attn v: 2 FLOPs x batch x heads x N x N x head dims each.
    attention = 2 * (2 * 2 * 2 * 10 * 10 * 16)
    assert total == linears + attention
    with FlopCounterMode(display=False) as plain:
        attn(x)
    # torch's own table has no CPU flash-attention formula.
    assert plain.get_total_flops() in (linears, total)


def test_count_flops_per_part_of_a_model():
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Linear(8, 2))
    total, parts = bm.count_flops(lambda: model(torch.randn(3, 4)))
    assert total == 2 * 3 * (4 * 8 + 8 * 2)
    assert sum(parts.values()) == total


def test_matmul_peak_and_memory_helpers():
    assert bm.matmul_peak_flops(torch.float32, size=64, iters=1,
                                repeats=1) > 0
    assert bm.median([3.0, 1.0, 2.0]) == 2.0
    times = bm.time_calls(lambda: None, iters=3, warmup=1)
    assert len(times) == 3 and all(t >= 0 for t in times)
    rss, peak = bm.current_rss_bytes(), bm.peak_rss_bytes()
    if rss is None:
        pytest.skip('no /proc/self/status here')
    assert peak >= rss > 0
    if bm.reset_peak_rss():
        assert bm.peak_rss_bytes() <= peak


def test_channels_last_switch_converts_weights_and_keeps_outputs():
    cfg = Config.fromstring(TINY_MODEL, '.py')
    torch.manual_seed(0)
    plain = MODELS.build(cfg.model).eval()
    cfg.model.data_preprocessor.channels_last = True
    fast = MODELS.build(cfg.model).eval()
    fast.load_state_dict(plain.state_dict())
    conv = fast.neck[1].laterals[0].weight
    assert conv.is_contiguous(memory_format=torch.channels_last)
    images = [torch.randint(0, 256, (3, 28, 42), dtype=torch.uint8)]
    data = fast.data_preprocessor(dict(inputs=images))
    assert data['inputs'].is_contiguous(memory_format=torch.channels_last)
    with torch.no_grad():
        torch.testing.assert_close(
            fast(data['inputs']), plain(data['inputs'].contiguous()),
            rtol=1e-4, atol=1e-5)


def test_compile_switch_compiles_the_parts_in_place():
    cfg = Config.fromstring(TINY_MODEL, '.py')
    names = set(MODELS.build(cfg.model).state_dict())
    cfg.model.compile = dict(dynamic=False)
    model = MODELS.build(cfg.model)
    for part in (model.backbone, model.neck, model.head):
        assert part._compiled_call_impl is not None
    assert model.losses[0]._compiled_call_impl is None
    assert set(model.state_dict()) == names


TINY_DA2_METRIC = """
model = dict(
    type='MetricDepther',
    data_preprocessor=dict(type='DepthDataPreprocessor', size_divisor=14),
    backbone=dict(type='DINOv2', out_indices=(0, 1, 2, 3),
                  arch=dict(embed_dims=32, num_layers=4, num_heads=2)),
    neck=dict(type='DPTNeck', in_channels=32, features=16,
              out_channels=(8, 16, 24, 32), head_activation='sigmoid',
              max_depth=20.0),
    head=dict(type='DPTMetricHead', max_depth=20.0),
    losses=[dict(type='MetricSILogLoss')])
"""


def test_tool_compare_two_kinds_two_sizes(tool, tmp_path, capsys):
    pytest.importorskip('transformers')
    config = tmp_path / 'tiny_da2.py'
    config.write_text(TINY_DA2_METRIC)
    out = tmp_path / 'out.json'
    assert tool.main([str(config), '--mode', 'infer', '--compare',
                      'transformers', '--sizes', '28', '42', '42', '56',
                      '--iters', '1', '--warmup', '0', '--json',
                      str(out)]) == 0
    rows = json.loads(out.read_text())['compare']
    assert [(r['kind'], r['size']) for r in rows] == [
        ('metric', [28, 42]), ('metric', [42, 56]),
        ('relative', [28, 42]), ('relative', [42, 56])]
    assert all(r['max_rel_diff'] < 1e-5 for r in rows)
    printed = capsys.readouterr().out
    assert 'transformers' in printed and 'cpu ' in printed
    assert tool.main([str(config), '--compare', 'transformers', '--sizes',
                      '28', '40']) == 2


def test_backend_onnxruntime_table(tool, tmp_path, model_config, capsys):
    """Every variant at two sizes off the export size, agreeing with
    PyTorch; bf16 only (and otherwise said to be left out) on a CPU with
    native bf16."""
    pytest.importorskip('onnxruntime')
    native_bf16 = cpu_info().native_bf16
    result = run_tool(tool, tmp_path, model_config, '--mode', 'infer',
                      '--backend', 'onnxruntime', '--sizes', '42', '56',
                      '56', '70', '--iters', '1', '--warmup', '0')
    backends = result['backends']
    assert backends['variants'] == [
        v for v in ('torch_fp32', 'torch_bf16', 'onnxruntime_fp32',
                    'onnxruntime_int8') if native_bf16 or 'bf16' not in v]
    assert [r['size'] for r in backends['rows']] == [[42, 56], [56, 70]]
    for row in backends['rows']:
        assert row['torch_fp32']['speedup'] == 1
        assert row['onnxruntime_fp32']['max_rel_error'] < 1e-4
        assert row['onnxruntime_int8']['mean_rel_error'] < 0.2
        if native_bf16:
            assert row['torch_bf16']['mean_rel_error'] < 0.05
    printed = capsys.readouterr().out
    assert '| 1 x 56x70 |' in printed
    assert ('torch_bf16: left out (no native bf16' in printed) != native_bf16
    with pytest.raises(SystemExit):
        tool.main([model_config, '--backend', 'onnxruntime'])


def test_v1_reference_needs_a_reference_path(tool, capsys):
    with pytest.raises(SystemExit) as err:
        tool.parse_args(['configs/da2zoe-dpt_vits_nyu.py', '--compare',
                         'v1-reference'])
    assert err.value.code == 2
    assert '--reference-path' in capsys.readouterr().err


def test_a_path_without_the_reference_is_named(tool, tmp_path):
    with pytest.raises(SystemExit, match=f'{tmp_path}: no metric_depth'):
        tool.main(['configs/da2zoe-dpt_vits_nyu.py', '--compare',
                   'v1-reference', '--reference-path', str(tmp_path),
                   '--mode', 'infer'])


def test_a_config_without_the_v1_layers_is_refused(tool, tmp_path):
    checkout = tmp_path / 'Depth-Anything'
    for name in ('metric_depth/zoedepth/models/zoedepth/zoedepth_v1.py',
                 'metric_depth/zoedepth/models/base_models/'
                 'depth_anything.py',
                 'metric_depth/zoedepth/models/base_models/dpt_dinov2/'
                 'dpt.py',
                 'torchhub/facebookresearch_dinov2_main/hubconf.py'):
        (checkout / name).parent.mkdir(parents=True, exist_ok=True)
        (checkout / name).write_text('')
    with pytest.raises(SystemExit, match='da2zoe_vits_nyu.py: .*DPTNeck'):
        tool.main(['configs/da2zoe_vits_nyu.py', '--compare',
                   'v1-reference', '--reference-path', str(checkout),
                   '--mode', 'infer'])
