"""tools/slurm_train.sh / slurm_test.sh: the srun command line."""
import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize('tool,entry', [('slurm_train.sh', 'train.py'),
                                        ('slurm_test.sh', 'test.py')])
def test_srun_command(tool, entry, tmp_path):
    fake = tmp_path / 'srun'
    fake.write_text('#!/bin/sh\nprintf "%s\\n" "$@"\n')
    fake.chmod(0o755)
    env = dict(os.environ, PATH=f'{tmp_path}:{os.environ["PATH"]}',
               GPUS='16', PYTHON='py')
    script = str(REPO / 'tools' / tool)
    result = subprocess.run([script, 'part', 'job', 'cfg.py', 'x', '--a'],
                            env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:7] == ['-p', 'part', '--job-name=job', '--gres=gpu:8',
                         '--ntasks=16', '--ntasks-per-node=8',
                         '--cpus-per-task=5']
    assert lines[8] == 'py' and lines[10].endswith('tools/' + entry)
    assert '--launcher' in lines and lines[-1] == '--a'
    bad = subprocess.run([script, 'part'], env=env, capture_output=True,
                         text=True)
    assert bad.returncode == 2 and 'usage' in bad.stderr
