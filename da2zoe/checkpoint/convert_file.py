"""Converting a checkpoint from any source into one da2zoe file.

The source is anything the resolver reads (a ``.pth`` / ``.pt`` / ``.bin``
or ``.safetensors`` file, a Hugging Face snapshot folder, ``hf://``); the
snapshot's ``config.json`` takes part in the layout checks as it does when
loading. The output is a torch file ``{'state_dict', 'meta'}`` or, for a
``.safetensors`` name, the state dict with the meta as string metadata;
either is written atomically and loads wherever weights are taken.
"""
import os
from typing import Union

from .atomic_write import save_checkpoint_atomic, save_safetensors_atomic
from .layouts import ConversionSummary, convert_state_dict
from .resolver import load_weights_and_config


def convert_checkpoint_file(src: Union[str, os.PathLike],
                            dst: Union[str, os.PathLike]
                            ) -> ConversionSummary:
    """Reads ``src`` safely, renames its keys, writes a da2zoe checkpoint.

    Args:
        src (str | os.PathLike): Any weights source the resolver takes.
        dst (str | os.PathLike): Output file; ``.safetensors`` writes
            safetensors (metadata ``source_layout``, ``source_file``),
            anything else a torch file ``{'state_dict', 'meta'}``.

    Returns:
        ConversionSummary: Detected layout and the key mapping.

    Raises:
        UnknownLayoutError: If no layout explains every key.
        UnsupportedCheckpointError: For a model this toolbox does not
            build (Depth Anything 3 any-view).
        IncompleteCheckpointError: For a truncated Depth Anything 3 file.
    """
    src, dst = os.fspath(src), os.fspath(dst)
    weights, config = load_weights_and_config(src)
    try:
        converted, layout, summary = convert_state_dict(weights, config)
    except ValueError as err:
        raise type(err)(f'{src!r}: {err}') from None
    meta = dict(source_layout=layout, source_file=src)
    if dst.endswith('.safetensors'):
        save_safetensors_atomic(converted, dst, meta)
    else:
        save_checkpoint_atomic(dict(state_dict=converted, meta=meta), dst)
    return summary
