"""Message-hub buffers in a form that loads under the weights-only allow list.

MMEngine's ``HistoryBuffer.__getstate__`` adds the class's statistics
functions to the pickled state; functions pickle through ``builtins.getattr``,
which cannot be allow-listed safely. The functions are class-level defaults
that ``HistoryBuffer.__setstate__`` restores, so leaving them out loses
nothing.
"""
import copy
import copyreg
from typing import Any

from mmengine.logging.history_buffer import HistoryBuffer


def _portable(buffer: HistoryBuffer) -> HistoryBuffer:
    """A copy of ``buffer`` that pickles without the statistics functions.

    Args:
        buffer (HistoryBuffer): The buffer to write.

    Returns:
        HistoryBuffer: The copy (sharing the history arrays).
    """
    state = {
        key: value
        for key, value in vars(buffer).items()
        # A copy made before (idempotent): not its own reduce function.
        if key not in ('statistics_methods', '__reduce_ex__')
    }
    portable = HistoryBuffer.__new__(HistoryBuffer)
    vars(portable).update(state)
    # Pickle looks __reduce_ex__ up on the instance before the class, so
    # this copy alone bypasses HistoryBuffer.__getstate__. It is a real
    # HistoryBuffer because pickle's NEWOBJ wants the class itself;
    # copyreg.__newobj__ is written as that opcode, not as a global.
    portable.__reduce_ex__ = lambda protocol: (copyreg.__newobj__,
                                               (HistoryBuffer, ), state)
    return portable


def without_history_functions(obj: Any) -> Any:
    """Returns ``obj`` with every ``HistoryBuffer`` in it made portable.

    Only the dicts, lists and tuples on the way to a buffer are copied (a
    shallow ``copy.copy``, which keeps attributes such as a state dict's
    ``_metadata``); everything else, ``obj`` included, is left unchanged.

    Args:
        obj (Any): A checkpoint, or part of one (e.g. a message hub state).

    Returns:
        Any: What to pickle instead of ``obj``.
    """
    if isinstance(obj, HistoryBuffer):
        return _portable(obj)
    if isinstance(obj, dict):
        new = {
            key: without_history_functions(value)
            for key, value in obj.items()
        }
        if all(new[key] is value for key, value in obj.items()):
            return obj
        out = copy.copy(obj)
        out.update(new)
        return out
    if isinstance(obj, (list, tuple)):
        items = [without_history_functions(value) for value in obj]
        if all(new is old for new, old in zip(items, obj)):
            return obj
        if hasattr(obj, '_fields'):  # a namedtuple
            return type(obj)(*items)
        return type(obj)(items)
    return obj
