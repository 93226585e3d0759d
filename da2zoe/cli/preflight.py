"""Checks a tool runs before its heavy imports: a mistyped config path
costs a twentieth of a second, not the tens of seconds torch, mmengine and
the registries take to import on a busy machine.

Standard library only (imported by ``tools/*.py`` before anything else).
"""
import difflib
import os.path as osp
import sys
from pathlib import Path
from typing import List, Optional, Sequence

CONFIG_DIR = Path(__file__).resolve().parents[2] / 'configs'


def available_configs(config_dir: Path = CONFIG_DIR) -> List[str]:
    """The entry-point configs a user can name (``configs/*.py``).

    Args:
        config_dir (Path): The folder of configs. Defaults to the repo's.
    """
    return sorted(str(p.relative_to(config_dir.parent))
                  for p in config_dir.glob('*.py'))


def config_path_error(path: str,
                      config_dir: Path = CONFIG_DIR) -> Optional[str]:
    """One line saying what is wrong with a config path, or None.

    Args:
        path (str): The path the user gave.
        config_dir (Path): Where the valid choices are listed from.
    """
    if osp.isfile(path):
        return None
    if not path.endswith('.py'):
        what = 'is not a Python config file (configs end in .py)'
    else:
        what = 'does not exist'
    choices = available_configs(config_dir)
    close = difflib.get_close_matches(
        osp.basename(path), [osp.basename(c) for c in choices], n=3,
        cutoff=0.5)
    if close:
        hint = 'did you mean ' + ' or '.join(
            osp.join(osp.relpath(config_dir), c) for c in close) + '?'
    else:
        hint = 'configs: ' + ', '.join(choices)
    return f'config {path} {what}; {hint}'


def leading_config(argv: Sequence[str]) -> Optional[str]:
    """CONFIG when it is the first argument, as the tools document it.

    A command line that starts with an option is left to argparse, which
    knows which options take values.

    Args:
        argv (Sequence[str]): The command line without the program name.
    """
    if argv and not argv[0].startswith('-'):
        return argv[0]
    return None


def exit_if_bad_config(argv: Optional[Sequence[str]] = None) -> None:
    """Exits with status 2 and one line when CONFIG is not a config file.

    Args:
        argv (Sequence[str], optional): The command line without the
            program name; ``sys.argv[1:]`` if None.
    """
    argv = sys.argv[1:] if argv is None else argv
    config = leading_config(argv)
    error = None if config is None else config_path_error(config)
    if error:
        print(f'error: {error}', file=sys.stderr)
        sys.exit(2)
