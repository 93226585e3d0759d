"""What ``--resume`` without a path resumes from, checked before the run.

MMEngine's auto-resume reads ``<work_dir>/last_checkpoint`` and, when it is
missing, logs "Auto resumed from the latest checkpoint None." and trains from
scratch: a typo in ``--work-dir`` silently throws a long run away. Here that
is an error naming where it looked; ``--resume auto-or-new`` keeps
MMEngine's behaviour for scripts that start and restart the same command.
"""
import os.path as osp

RESUME_OR_NEW = 'auto-or-new'


def latest_checkpoint(work_dir: str) -> str:
    """The checkpoint ``--resume`` will continue from.

    Args:
        work_dir (str): The run's work dir.

    Returns:
        str: The path named in ``<work_dir>/last_checkpoint``.

    Raises:
        FileNotFoundError: Nothing to resume, naming where it looked.
    """
    pointer = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(pointer):
        raise FileNotFoundError(
            f'--resume: nothing to resume in {osp.abspath(work_dir)} (no '
            f'{osp.basename(pointer)} file there); check --work-dir / '
            f'--save-dir, give a checkpoint with --resume PATH, or use '
            f'--resume {RESUME_OR_NEW} to start a new run when there is none')
    with open(pointer, encoding='utf-8') as f:
        checkpoint = f.read().strip()
    if not osp.isfile(checkpoint):
        raise FileNotFoundError(
            f'--resume: {pointer} names {checkpoint!r}, which does not '
            f'exist; give a checkpoint with --resume PATH')
    return checkpoint
