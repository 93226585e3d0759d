"""Layout-aware loading of a checkpoint into (part of) a model."""
import logging
import math
import os
from collections.abc import Mapping
from typing import Any, NamedTuple, Optional

from mmengine.logging import print_log
from torch import nn

from .da3_layout import IncompleteCheckpointError, UnsupportedCheckpointError
from .layouts import (
    ConversionSummary,
    UnknownLayoutError,
    convert_state_dict,
)
from .resolver import load_weights_and_config

LAYOUT_ERRORS = (UnknownLayoutError, UnsupportedCheckpointError,
                 IncompleteCheckpointError)


class LoadResult(NamedTuple):
    """Outcome of :func:`load_pretrained`.

    Args:
        missing_keys (list[str]): Model keys the checkpoint did not provide.
        unexpected_keys (list[str]): Checkpoint keys (da2zoe names, after
            ``prefix_filter``) the model does not have; not loaded.
        layout (str): Detected checkpoint layout.
        summary (ConversionSummary): Details of the key mapping.
    """

    missing_keys: list[str]
    unexpected_keys: list[str]
    layout: str
    summary: ConversionSummary


def check_depth_output(model: nn.Module, config: Optional[Mapping],
                       source: str) -> None:
    """Refuses weights whose ``config.json`` says they predict another
    kind of depth than the model's DPT output.

    A transformers Depth Anything snapshot names its output
    (``depth_estimation_type``: ``'relative'`` disparity through a ReLU, or
    ``'metric'``: Sigmoid x ``max_depth``). The tensors are the same shapes
    either way, so without this check a metric snapshot would load into a
    relative model (or the other way, or with another ``max_depth``) and
    predict numbers on the wrong scale without a word.

    Args:
        model (nn.Module): The model being loaded; its modules with a
            ``head_activation`` (``DPTNeck``) are checked.
        config (Mapping, optional): The snapshot's ``config.json``.
        source (str): Names the weights in the message.

    Raises:
        ValueError: On a mismatch, naming both sides and the config key.
    """
    kind = (config or {}).get('depth_estimation_type')
    if kind not in ('relative', 'metric'):
        return
    wanted = 'sigmoid' if kind == 'metric' else 'relu'
    for name, module in model.named_modules():
        activation = getattr(module, 'head_activation', None)
        if activation is None:
            continue
        if activation != wanted:
            raise ValueError(
                f'{source}: config.json says depth_estimation_type={kind!r} '
                f'(a {wanted} output) but {name or "the model"} has '
                f'head_activation={activation!r}: use the '
                f'{"DA-V2 metric" if kind == "metric" else "relative"} '
                'config for these weights, or load only their encoder '
                "(the backbone's init_cfg)")
        max_depth = config.get('max_depth')
        if kind == 'metric' and max_depth is not None and not math.isclose(
                float(max_depth), float(module.max_depth)):
            raise ValueError(
                f'{source}: config.json says max_depth={max_depth} but '
                f'{name or "the model"} has max_depth={module.max_depth}: '
                'metric depth would be scaled wrongly (set the neck and '
                'head max_depth to the snapshot\'s)')


def load_pretrained(model: nn.Module,
                    checkpoint: str | os.PathLike | Mapping[str, Any],
                    prefix_filter: str | None = None,
                    strict: bool = False,
                    logger: logging.Logger | str | None = None) -> LoadResult:
    """Loads a checkpoint of any known layout into (part of) a model.

    The layout is detected from the keys (see :mod:`da2zoe.checkpoint.layouts`)
    and the keys renamed to da2zoe's. Only keys the model has are loaded; the
    others are reported as unexpected, model keys left untouched as missing.

    Args:
        model (nn.Module): Target; its ``state_dict()`` keys are da2zoe names
            relative to ``prefix_filter``.
        checkpoint (str | os.PathLike | Mapping[str, Any]): A file
            (``.pth`` read weights-only, or ``.safetensors``), a Hugging
            Face snapshot folder, ``hf://<owner>/<repo>[/<file>]`` (see
            :func:`~da2zoe.checkpoint.load_weights`), or an already loaded
            checkpoint.
        prefix_filter (str | None): Load only the converted keys under this
            prefix, with the prefix removed, e.g. ``'backbone.'`` to load
            into a bare :class:`DINOv2`. Keys elsewhere are ignored, not
            reported. Defaults to None (all keys).
        strict (bool): Raise if any key is missing or unexpected. Defaults to
            False.
        logger (logging.Logger | str | None): Where the report goes, as
            MMEngine's ``print_log`` takes it. Defaults to None (the current
            MMEngine logger).

    Returns:
        LoadResult: Missing and unexpected keys, layout and mapping summary.

    Raises:
        UnsafeCheckpointError: If a checkpoint file is refused by
            :func:`~da2zoe.checkpoint.load_checkpoint_file`.
        UnknownLayoutError: If no known layout explains every key.
        UnsupportedCheckpointError: For a Depth Anything 3 any-view model.
        IncompleteCheckpointError: For a Depth Anything 3 checkpoint that
            lacks keys (named).
        ValueError: On a shape mismatch (naming the key and both shapes), if
            no checkpoint key matches the model, or if ``prefix_filter``
            selects nothing.
        RuntimeError: If ``strict`` and keys are missing or unexpected.
    """
    logger = 'current' if logger is None else logger
    source = (repr(os.fspath(checkpoint)) if isinstance(
        checkpoint, (str, os.PathLike)) else 'the given state dict')
    config = None
    if isinstance(checkpoint, (str, os.PathLike)):
        checkpoint, config = load_weights_and_config(checkpoint)
        check_depth_output(model, config, source)
    try:
        converted, layout, summary = convert_state_dict(checkpoint, config)
    except LAYOUT_ERRORS as err:
        raise type(err)(f'{source}: {err}') from None
    if prefix_filter:
        state_dict = {
            key[len(prefix_filter):]: value
            for key, value in converted.items()
            if key.startswith(prefix_filter)
        }
        if not state_dict:
            raise ValueError(
                f'No {prefix_filter!r} keys in {source} (layout {layout!r}, '
                f'first keys {list(converted)[:5]})')
    else:
        state_dict = dict(converted)

    model_state = model.state_dict()
    unexpected = [key for key in state_dict if key not in model_state]
    missing = [key for key in model_state if key not in state_dict]
    mismatched = [
        f'{key}: checkpoint {tuple(value.shape)} vs model '
        f'{tuple(model_state[key].shape)}'
        for key, value in state_dict.items()
        if key in model_state and value.shape != model_state[key].shape
    ]
    if mismatched:
        raise ValueError(f'Shape mismatch loading {source} (layout '
                         f'{layout!r}): ' + '; '.join(mismatched))
    if len(unexpected) == len(state_dict):
        raise ValueError(
            f'None of the {len(state_dict)} keys of {source} (layout '
            f'{layout!r}) matches {type(model).__name__}; checkpoint keys '
            f'start {unexpected[:5]}, model keys start {missing[:5]}')
    if strict and (missing or unexpected):
        raise RuntimeError(f'Strict load of {source} into '
                           f'{type(model).__name__}: missing keys {missing}, '
                           f'unexpected keys {unexpected}')

    model.load_state_dict(
        {key: value for key, value in state_dict.items()
         if key in model_state},
        strict=False)
    print_log(
        f'Loaded {len(state_dict) - len(unexpected)} tensors into '
        f'{type(model).__name__} from {source}: '
        + str(summary).replace('\n', '; '),
        logger=logger,
        level=logging.INFO)
    for what, keys in ((f'Missing keys (left as initialised) in '
                        f'{type(model).__name__}', missing),
                       (f'Unexpected keys in {source} (not loaded)',
                        unexpected)):
        if keys:
            print_log(
                f'{what}: ' + ', '.join(keys),
                logger=logger,
                level=logging.WARNING)
    return LoadResult(missing, unexpected, layout, summary)
