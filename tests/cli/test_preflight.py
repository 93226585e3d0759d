"""da2zoe.cli.preflight and the tools' start-up: bad arguments fail fast,
before torch is imported, and no flag is taken by its prefix."""
import subprocess
import sys
from pathlib import Path

import pytest

from da2zoe.cli import preflight
from da2zoe.cli import train as train_tool

REPO = Path(__file__).resolve().parents[2]

CHECK = """
import runpy, sys
sys.argv = [{tool!r}] + {argv!r}
try:
    runpy.run_path({tool!r}, run_name='__main__')
except SystemExit as exit:
    print('exit', exit.code, 'torch' in sys.modules)
"""


@pytest.mark.parametrize('tool', ['tools/train.py', 'tools/test.py',
                                  'tools/infer.py'])
def test_wrong_config_fails_before_torch_is_imported(tool):
    code = CHECK.format(tool=tool, argv=['configs/da2zoe_vitl_nyuu.py',
                                         'x.pth'])
    result = subprocess.run([sys.executable, '-c', code], cwd=REPO,
                            capture_output=True, text=True, timeout=60)
    assert result.stdout.split() == ['exit', '2', 'False'], result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(
        'error: config configs/da2zoe_vitl_nyuu.py does not exist; did you '
        'mean configs/da2zoe_vitl_nyu.py or ')


def test_config_error_lists_the_configs_when_nothing_is_close(tmp_path):
    (tmp_path / 'configs').mkdir()
    for name in ('a_nyu.py', 'b_kitti.py'):
        (tmp_path / 'configs' / name).write_text('')
    error = preflight.config_path_error('zzz', tmp_path / 'configs')
    assert 'zzz is not a Python config file' in error
    assert error.endswith('configs: configs/a_nyu.py, configs/b_kitti.py')
    assert preflight.config_path_error(
        str(tmp_path / 'configs/a_nyu.py')) is None


def test_only_a_leading_config_is_checked():
    assert preflight.leading_config(['c.py', '--amp']) == 'c.py'
    assert preflight.leading_config(['--work-dir', 'w', 'c.py']) is None
    assert preflight.leading_config([]) is None
    preflight.exit_if_bad_config(['--help'])  # left to argparse


def test_flag_prefixes_are_not_accepted(capsys):
    config = str(REPO / 'configs/da2zoe_tiny_synthetic.py')
    with pytest.raises(SystemExit) as exit:
        train_tool.parse_args([config, '--num-epoch', '3'])
    assert exit.value.code == 2
    assert 'unrecognized arguments: --num-epoch 3' in capsys.readouterr().err
