"""da2zoe.cli.runner_setup.build_runner: runners built in one process."""
import time
from pathlib import Path

from mmengine.config import Config

from da2zoe.cli.runner_setup import build_runner

TINY = str(Path(__file__).resolve().parents[2] / 'configs' /
           'da2zoe_tiny_synthetic.py')


def test_runners_built_in_the_same_second_log_apart(tmp_path, monkeypatch):
    now = time.time()
    monkeypatch.setattr(time, 'time', lambda: now)  # one timestamp for both
    runners = []
    for name in ('first', 'second'):
        cfg = Config.fromfile(TINY)
        cfg.work_dir = str(tmp_path / name)
        cfg.model.backbone.init_cfg = None
        runners.append(build_runner(cfg))
    first, second = runners
    assert first.timestamp == second.timestamp
    # MMEngine hands back an existing logger for a name already used: the
    # second run would write into the first run's handlers and file.
    assert first.experiment_name != second.experiment_name
    assert first.logger is not second.logger
    second.logger.info('only in the second log')
    logs = [Path(r.log_dir) / f'{r.timestamp}.log' for r in runners]
    assert 'only in the second log' in logs[1].read_text()
    assert 'only in the second log' not in logs[0].read_text()
