"""MMEngine's Runner, except that resume and ``load_from`` stop on a
checkpoint that does not fit the model.

MMEngine loads both with ``strict=False``: a missing or wrong-shaped tensor
is a logged warning and training goes on with that tensor at its initial
value, exit status 0. Every other way into a da2zoe model refuses such a
file; the runner now does too, naming the keys. Keys the model does not
have (extra heads of a bigger checkpoint) stay a warning, as in MMEngine.
"""
import re
from typing import Callable, List, Sequence, Tuple, Union

from mmengine.model import is_model_wrapper
from mmengine.runner import Runner

from da2zoe.registry import RUNNERS

SHOWN = 8  # keys named in the message; the rest are counted


class CheckpointMismatchError(RuntimeError):
    """A resumed or ``load_from`` checkpoint lacks tensors of the model or
    holds them in other shapes."""


def _listing(keys: Sequence[str]) -> str:
    shown = ', '.join(keys[:SHOWN])
    more = len(keys) - SHOWN
    return shown + (f' and {more} more' if more > 0 else '')


def mismatched_keys(model_state: dict, state: dict
                    ) -> Tuple[List[str], List[str]]:
    """Model keys missing from ``state`` and keys with other shapes.

    Args:
        model_state (dict): The model's ``state_dict()``.
        state (dict): The checkpoint's state dict (keys already revised).

    Returns:
        tuple[list[str], list[str]]: Missing keys; ``'key (checkpoint
        shape vs model shape)'`` for each shape mismatch.
    """
    missing = [key for key in model_state if key not in state]
    wrong = [
        f'{key} ({tuple(state[key].shape)} vs {tuple(value.shape)})'
        for key, value in model_state.items()
        if key in state and hasattr(state[key], 'shape')
        and tuple(state[key].shape) != tuple(value.shape)
    ]
    return missing, wrong


@RUNNERS.register_module()
class DepthRunner(Runner):
    """:class:`mmengine.runner.Runner` whose checkpoint loading fails on
    missing or wrong-shaped tensors (resume and ``load_from`` alike)."""

    def resume(self,
               filename: str,
               resume_optimizer: bool = True,
               resume_param_scheduler: bool = True,
               map_location: Union[str, Callable] = 'default') -> None:
        """MMEngine's resume, refusing a weights-only ``.safetensors``.

        Args:
            filename (str): The checkpoint.
            resume_optimizer (bool): As in MMEngine. Defaults to True.
            resume_param_scheduler (bool): As in MMEngine. Defaults to True.
            map_location (str | Callable): As in MMEngine.

        Raises:
            ValueError: For a ``.safetensors`` file: it has no optimiser,
                scheduler or iteration state to resume.
        """
        if str(filename).endswith('.safetensors'):
            raise ValueError(
                f'cannot resume from {filename}: a .safetensors file holds '
                'weights only (no optimiser, scheduler or epoch); start from '
                'it with load_from or --pretrained-checkpoint instead')
        super().resume(filename, resume_optimizer, resume_param_scheduler,
                       map_location)

    def load_checkpoint(self,
                        filename: str,
                        map_location='cpu',
                        strict: bool = False,
                        revise_keys: list = [(r'^module.', '')]) -> dict:
        """Loads ``filename`` into the model, then checks it fitted.

        Args:
            filename (str): The checkpoint.
            map_location (str | Callable): As for ``torch.load``.
            strict (bool): Passed on to MMEngine (unexpected keys raise
                too). Defaults to False.
            revise_keys (list): ``(pattern, replacement)`` pairs applied to
                the checkpoint's keys, as in MMEngine.

        Returns:
            dict: The loaded checkpoint.

        Raises:
            CheckpointMismatchError: Naming the file and the keys.
        """
        checkpoint = super().load_checkpoint(filename, map_location, strict,
                                             revise_keys)
        state = checkpoint.get('state_dict', checkpoint)
        for pattern, replacement in revise_keys:
            state = {re.sub(pattern, replacement, key): value
                     for key, value in state.items()}
        model = self.model.module if is_model_wrapper(self.model) \
            else self.model
        missing, wrong = mismatched_keys(model.state_dict(), state)
        if missing or wrong:
            parts = []
            if missing:
                parts.append(f'{len(missing)} missing tensors: '
                             f'{_listing(missing)}')
            if wrong:
                parts.append(f'{len(wrong)} tensors of another shape: '
                             f'{_listing(wrong)}')
            raise CheckpointMismatchError(
                f'checkpoint {filename} does not fit the model ('
                + '; '.join(parts) + '); is it from another config or arch? '
                'To start from weights of another model, use '
                '--pretrained-checkpoint (model.pretrained): missing parts '
                'start fresh')
        return checkpoint
