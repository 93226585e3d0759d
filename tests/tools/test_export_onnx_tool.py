"""tools/deployment/export_onnx.py, then tools/infer.py --backend
onnxruntime with its output: the same files as the PyTorch backend."""
import cv2
import numpy as np
import onnx
import pytest
from test_analysis_tools import load_tool  # the tools' one loader

from da2zoe.testing import render_scene
from tiny_depther import write_tiny_model

EXPORT = load_tool('deployment', 'export_onnx.py')
INFER = load_tool('infer.py')


def test_export_quantize_check_then_infer(tmp_path, capsys):
    config, checkpoint = write_tiny_model(str(tmp_path), infer_size=56)
    out = str(tmp_path / 'tiny.onnx')
    assert EXPORT.main([config, checkpoint, out, '--size', '56', '84',
                        '--dynamic', '--quantize', 'dynamic',
                        '--check']) == 0
    printed = capsys.readouterr().out
    onnx.checker.check_model(out)
    onnx.checker.check_model(out[:-5] + '.int8.onnx')
    errors = [float(line.rsplit(' ', 1)[1]) for line in printed.splitlines()
              if 'max relative error' in line]
    assert len(errors) == 2 and errors[0] <= 1e-4, printed
    rgb = render_scene(0, seed=1, size=(60, 80)).rgb
    cv2.imwrite(str(tmp_path / 'room.png'), rgb[..., ::-1])
    for backend, weights in (('pytorch', checkpoint), ('onnxruntime', out)):
        assert INFER.main([
            config, weights, str(tmp_path / 'room.png'), '--out-dir',
            str(tmp_path / backend), '--backend', backend, '--save', 'npy',
            'png16'
        ]) == 0
    want = np.load(tmp_path / 'pytorch' / 'room_depth.npy')
    got = np.load(tmp_path / 'onnxruntime' / 'room_depth.npy')
    assert got.shape == want.shape == (60, 80)
    assert np.abs(got / want - 1).max() <= 1e-4


@pytest.mark.parametrize('argv,message', [
    (['c.py', 'w.pth', 'out.onnx', '--size', '100', '140'],
     'not a multiple of 14'),
    (['c.py', 'w.pth', 'out.pt'], 'must end with .onnx'),
])
def test_export_flags_are_checked(argv, message, capsys):
    with pytest.raises(SystemExit):
        EXPORT.parse_args(argv)
    assert message in capsys.readouterr().err


def test_infer_backend_and_checkpoint_must_agree(capsys):
    with pytest.raises(SystemExit):
        INFER.parse_args(['c.py', 'm.onnx', 'in.png'])
    assert '--backend onnxruntime' in capsys.readouterr().err
    with pytest.raises(SystemExit):
        INFER.parse_args(['c.py', 'm.onnx', 'in.png', '--backend',
                          'onnxruntime', '--bf16'])
    assert 'precision it was exported in' in capsys.readouterr().err
