"""What a finished training run tells its user: its config and test command.

The one saved config of a run is ``<work_dir>/<timestamp>/vis_data/config.py``
(MMEngine's ``LocalVisBackend`` writes it when the runner is built; written
here if the config has no such backend). Every run, a resumed one included,
gets its own timestamp folder, so the file is never overwritten. MMEngine's
``<work_dir>/<config file name>`` copy is not the one named: every later run
in the same work dir (``tools/test.py`` included) replaces it.
"""
import os
import os.path as osp
import shlex
from typing import Optional

from mmengine.runner import Runner, find_latest_checkpoint

from da2zoe.checkpoint import random_frozen_message


def saved_config_path(runner: Runner) -> str:
    """The run's config file, written if no backend wrote it.

    Args:
        runner (Runner): The runner after (or during) training.

    Returns:
        str: ``<work_dir>/<timestamp>/vis_data/config.py``.
    """
    path = osp.join(runner.log_dir, 'vis_data', 'config.py')
    if runner.rank == 0 and not osp.isfile(path):
        os.makedirs(osp.dirname(path), exist_ok=True)
        runner.cfg.dump(path)
    return path


def final_checkpoint(runner: Runner) -> Optional[str]:
    """The best checkpoint of the run if one was kept, else the latest.

    Args:
        runner (Runner): The runner after training.

    Returns:
        str | None: The checkpoint path, or None when none was written.
    """
    best = runner.message_hub.get_info('best_ckpt')
    if best and osp.isfile(best):
        return best
    return find_latest_checkpoint(runner.work_dir)


def evaluation_command(config: str,
                       checkpoint: str,
                       world_size: int = 1) -> str:
    """The command line that evaluates ``checkpoint`` on ``config``.

    Args:
        config (str): A saved config.
        checkpoint (str): A checkpoint of that run.
        world_size (int): Processes of the training run; above 1 the
            ``tools/dist_test.sh`` form with as many processes.

    Returns:
        str: A shell command (arguments quoted).
    """
    if world_size > 1:
        words = ['tools/dist_test.sh', config, checkpoint, str(world_size)]
    else:
        words = ['python', 'tools/test.py', config, checkpoint]
    return ' '.join(shlex.quote(w) for w in words)


def random_frozen_banner(model) -> Optional[str]:
    """The random-frozen-encoder banner again, if it still applies.

    Args:
        model (nn.Module): The trained model (DDP-wrapped or not).

    Returns:
        str | None: The banner when the frozen encoder still holds its
        random initialisation (and that was not opted into), else None.
    """
    backbone = getattr(getattr(model, 'module', model), 'backbone', None)
    if (backbone is None or not getattr(backbone, 'frozen', False)
            or getattr(backbone, 'allow_random_frozen', True)
            or not backbone.holds_random_init()):
        return None
    return random_frozen_message(backbone.arch_name)


def report_saved_config(runner: Runner) -> None:
    """Logs the run's saved config and the command to test its checkpoint.

    Args:
        runner (Runner): The runner after training.
    """
    config = saved_config_path(runner)
    if runner.rank != 0:
        return
    checkpoint = final_checkpoint(runner)
    lines = [f'config of this run: {config}']
    if checkpoint is None:
        lines.append('no checkpoint was written')
    else:
        lines.append('evaluate it on the test data of this run: ' +
                     evaluation_command(config, checkpoint, runner.world_size))
    banner = random_frozen_banner(runner.model)
    if banner:  # repeated last: the start-up copy scrolled away long ago
        lines.append(banner)
    runner.logger.info('\n'.join(lines))
