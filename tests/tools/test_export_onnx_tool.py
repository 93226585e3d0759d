"""tools/deployment/export_onnx.py, then tools/infer.py --backend
onnxruntime with its output: the same files as the PyTorch backend; and
tools/analysis_tools/onnx_accuracy.py on those exports."""
import contextlib
import io
import json

import cv2
import numpy as np
import onnx
import pytest
from mmengine.config import Config
from test_analysis_tools import load_tool  # the tools' one loader

from da2zoe.cli import infer as infer_cli
from da2zoe.testing import render_scene
from da2zoe.testing.synthetic_datasets import write_synthetic
from tiny_depther import write_tiny_model

EXPORT = load_tool('deployment', 'export_onnx.py')
ACCURACY = load_tool('analysis_tools', 'onnx_accuracy.py')


@pytest.fixture(scope='module')
def exported(tmp_path_factory):
    """The tiny model exported (dynamic) and quantised by the tool."""
    folder = tmp_path_factory.mktemp('export')
    config, checkpoint = write_tiny_model(str(folder), infer_size=56)
    out = str(folder / 'tiny.onnx')
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert EXPORT.main([config, checkpoint, out, '--size', '56', '84',
                            '--dynamic', '--quantize', 'dynamic',
                            '--check']) == 0
    return config, checkpoint, out, printed.getvalue()


def test_export_quantize_check_then_infer(exported, tmp_path):
    config, checkpoint, out, printed = exported
    onnx.checker.check_model(out)
    onnx.checker.check_model(out[:-5] + '.int8.onnx')
    errors = [float(line.rsplit(' ', 1)[1]) for line in printed.splitlines()
              if 'max relative error' in line]
    assert len(errors) == 2 and errors[0] <= 1e-4, printed
    rgb = render_scene(0, seed=1, size=(60, 80)).rgb
    cv2.imwrite(str(tmp_path / 'room.png'), rgb[..., ::-1])
    for backend, weights in (('pytorch', checkpoint), ('onnxruntime', out)):
        assert infer_cli.main([
            config, weights, str(tmp_path / 'room.png'), '--out-dir',
            str(tmp_path / backend), '--backend', backend, '--save', 'npy',
            'png16'
        ]) == 0
    want = np.load(tmp_path / 'pytorch' / 'room_depth.npy')
    got = np.load(tmp_path / 'onnxruntime' / 'room_depth.npy')
    assert got.shape == want.shape == (60, 80)
    assert np.abs(got / want - 1).max() <= 1e-4


def test_accuracy_tool_compares_exports_on_the_test_set(exported, tmp_path,
                                                        capsys):
    """fp32 export: PyTorch's metrics; int8: its own, reported apart."""
    config, checkpoint, out, _ = exported
    write_synthetic(tmp_path / 'data', 10, 0, (56, 84), ['nyu_csv'])
    cfg = Config.fromfile(config)
    cfg.test_dataloader = dict(dataset=dict(
        type='NYUCSVDataset', data_root=str(tmp_path / 'data' / 'nyu'),
        csv_file='data/nyu2_test.csv', pipeline=[
            dict(type='LoadRGB'), dict(type='LoadDepth'),
            dict(type='KeepAspectResize', min_size=56, resize_gt=False),
            dict(type='PackDepthInputs')]))
    cfg.dump(tmp_path / 'tiny_data.py')
    int8 = out[:-5] + '.int8.onnx'
    assert ACCURACY.main([str(tmp_path / 'tiny_data.py'), checkpoint, out,
                          int8, '--json', str(tmp_path / 'rows.json')]) == 0
    table = capsys.readouterr().out
    assert '2 test images' in table and 'd_abs_rel' in table
    rows = json.loads((tmp_path / 'rows.json').read_text())['rows']
    assert list(rows) == ['pytorch fp32', 'tiny.onnx', 'tiny.int8.onnx']
    fp32, ort, quantised = rows.values()
    assert ort['abs_rel'] == pytest.approx(fp32['abs_rel'], rel=1e-5)
    assert ort['rel_diff_max'] <= 1e-5
    assert 0 < quantised['rel_diff_mean'] < 0.05
    assert quantised['abs_rel'] != fp32['abs_rel']


def test_accuracy_tool_names_a_missing_export(capsys):
    with pytest.raises(SystemExit):
        ACCURACY.parse_args(['c.py', 'w.pth', 'gone.onnx'])
    assert "'gone.onnx' not found" in capsys.readouterr().err


@pytest.mark.parametrize('argv,message', [
    (['c.py', 'w.pth', 'out.onnx', '--size', '100', '140'],
     'not a multiple of 14'),
    (['c.py', 'w.pth', 'out.pt'], 'must end with .onnx'),
    (['c.py', 'w.pth', 'o.onnx', '--fp16', '--quantize', 'dynamic'],
     'drop --fp16'),
])
def test_export_flags_are_checked(argv, message, capsys):
    with pytest.raises(SystemExit):
        EXPORT.parse_args(argv)
    assert message in capsys.readouterr().err


def test_infer_backend_and_checkpoint_must_agree(capsys):
    with pytest.raises(SystemExit):
        infer_cli.parse_args(['c.py', 'm.onnx', 'in.png'])
    assert '--backend onnxruntime' in capsys.readouterr().err
    with pytest.raises(SystemExit):
        infer_cli.parse_args(['c.py', 'm.onnx', 'in.png', '--backend',
                          'onnxruntime', '--bf16'])
    assert 'precision it was exported in' in capsys.readouterr().err
