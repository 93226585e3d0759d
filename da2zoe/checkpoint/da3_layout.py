"""Depth Anything 3 checkpoints: which ones load, and whether one is whole.

The released mono models (``depth-anything/DA3MONO-LARGE``,
``depth-anything/DA3METRIC-LARGE``) are Hugging Face snapshot folders:
``model.safetensors`` with the network under ``model.`` (the API class
holds it as ``self.model``): ``model.backbone.pretrained.*`` (DINOv2, no
``mask_token``) and ``model.head.{projects, resize_layers, scratch}.*``
(the DPT, with ``scratch.sky_output_conv2``), plus a ``config.json`` whose
``model_name`` is ``da3mono-large`` / ``da3metric-large``. They convert by
prefix (layout ``depth_anything_3`` of :mod:`da2zoe.checkpoint.layouts`).

The any-view models (DA3-Small/Base/Large/Giant and the nested
DA3Nested-Giant-Large) share the prefixes but add a camera token, QK-norm,
RoPE, a token concatenation into the head (``cat_token``), the DualDPT head
and camera encoder/decoder: they are refused by name, never half loaded.
"""
import re
from collections.abc import Mapping
from typing import Any

from torch import Tensor

DA3_PREFIX = 'model.'
DA3_BACKBONE = 'model.backbone.pretrained.'
DA3_HEAD = 'model.head.'
MONO_MODEL_NAMES = ('da3mono-large', 'da3metric-large')
# The network's own state dict (``DepthAnything3Net.state_dict()``, without
# the API's ``model.``): these top-level prefixes, with the encoder's.
BARE_NETWORK_PREFIXES = ('backbone.pretrained.', 'head.', 'cam_enc.',
                         'cam_dec.', 'gs_head.', 'gs_adapter.')
# Keys (after ``model.``) only the any-view networks have, and what they are.
ANY_VIEW_MARKERS = (
    (re.compile(r'camera_token'), 'a camera token'),
    (re.compile(r'\.(q_norm|k_norm)\.'), 'QK-norm'),
    (re.compile(r'rope'), 'RoPE'),
    (re.compile(r'_aux\.'), "the DualDPT head's auxiliary (ray) branch"),
    (re.compile(r'^model\.(cam_enc|cam_dec)\.'), 'a camera encoder/decoder'),
    (re.compile(r'^model\.(gs_head|gs_adapter)\.'), 'a Gaussian head'),
    (re.compile(r'^model\.(da3|da3_metric)\.'), 'a nested model'),
)
BLOCK_KEYS = tuple(
    f'{part}.{kind}' for part, kinds in (
        ('norm1', ('weight', 'bias')), ('attn.qkv', ('weight', 'bias')),
        ('attn.proj', ('weight', 'bias')), ('ls1', ('gamma', )),
        ('norm2', ('weight', 'bias')), ('mlp.fc1', ('weight', 'bias')),
        ('mlp.fc2', ('weight', 'bias')), ('ls2', ('gamma', )))
    for kind in kinds)
ENCODER_KEYS = ('cls_token', 'pos_embed', 'patch_embed.proj.weight',
                'patch_embed.proj.bias', 'norm.weight', 'norm.bias')
_UNITS = tuple(f'resConfUnit{u}.conv{c}.{p}' for u in (1, 2)
               for c in (1, 2) for p in ('weight', 'bias'))
HEAD_KEYS = (
    *(f'projects.{k}.{p}' for k in range(4) for p in ('weight', 'bias')),
    *(f'resize_layers.{k}.{p}' for k in (0, 1, 3)
      for p in ('weight', 'bias')),
    *(f'scratch.layer{k}_rn.weight' for k in range(1, 5)),
    *(f'scratch.refinenet{k}.{unit}' for k in range(1, 5) for unit in _UNITS
      if k != 4 or unit.startswith('resConfUnit2')),
    *(f'scratch.refinenet{k}.out_conv.{p}' for k in range(1, 5)
      for p in ('weight', 'bias')),
    *(f'scratch.{branch}.{p}' for branch in (
        'output_conv1', 'output_conv2.0', 'output_conv2.2',
        'sky_output_conv2.0', 'sky_output_conv2.2')
      for p in ('weight', 'bias')),
)
_BLOCK = re.compile(rf'^{re.escape(DA3_BACKBONE)}blocks\.(\d+)\.')


class UnsupportedCheckpointError(ValueError):
    """A checkpoint of a known model this toolbox does not build."""


class IncompleteCheckpointError(ValueError):
    """A checkpoint lacks keys its layout always has (truncated or wrong)."""


def to_da3_keys(state_dict: Mapping[str, Tensor]) -> dict[str, Tensor]:
    """da2zoe names of a DA3 mono model -> the released checkpoint's.

    Args:
        state_dict (Mapping[str, Tensor]): ``backbone.*`` / ``head.*`` keys
            of ``MetricDepther(backbone=DINOv2, neck=None,
            head=DA3DPTHead)``; other keys are dropped.

    Returns:
        dict[str, Tensor]: ``model.backbone.pretrained.*`` /
        ``model.head.*`` keys (tensors not copied).
    """
    renamed = {}
    for key, value in state_dict.items():
        for ours, theirs in (('backbone.', DA3_BACKBONE),
                             ('head.', DA3_HEAD)):
            if key.startswith(ours):
                renamed[theirs + key[len(ours):]] = value
    return renamed


def wrap_bare_da3_network(state_dict: Mapping[str, Tensor]
                          ) -> dict[str, Tensor] | None:
    """Gives a DA3 network saved without the API wrapper its ``model.``.

    ``backbone.pretrained.*`` (the DA3 encoder's place: no other layout
    has it) with every other key under the network's own prefixes is the
    network's ``state_dict()``; the released files hold it under
    ``model.``.

    Args:
        state_dict (Mapping[str, Tensor]): Unwrapped, prefix-stripped
            state dict.

    Returns:
        dict[str, Tensor] | None: The keys under ``model.`` (tensors not
        copied), or None when the state dict is not a bare DA3 network.
    """
    keys = list(state_dict)
    if not any(k.startswith(BARE_NETWORK_PREFIXES[0]) for k in keys) or \
            not all(k.startswith(BARE_NETWORK_PREFIXES) for k in keys):
        return None
    return {DA3_PREFIX + key: value for key, value in state_dict.items()}


def is_da3_keys(keys: list[str]) -> bool:
    """Whether keys look like a Depth Anything 3 network (any variant)."""
    return any(k.startswith((DA3_BACKBONE, DA3_HEAD, 'model.cam_',
                             'model.da3')) for k in keys)


def refuse_unsupported_da3(state_dict: Mapping[str, Tensor],
                           config: Mapping[str, Any] | None = None,
                           source: str = 'the checkpoint') -> None:
    """Refuses DA3 any-view / nested checkpoints, naming what they are.

    Args:
        state_dict (Mapping[str, Tensor]): Unwrapped, prefix-stripped
            state dict.
        config (Mapping[str, Any] | None): The snapshot's ``config.json``,
            if there is one. Defaults to None.
        source (str): How to name the checkpoint in messages.

    Raises:
        UnsupportedCheckpointError: For an any-view or nested DA3 model,
            or a snapshot whose ``config.json`` names one.
    """
    name = (config or {}).get('model_name')
    keys = list(state_dict)
    found = sorted({what for key in keys for pattern, what in
                    ANY_VIEW_MARKERS if pattern.search(key)})
    if is_da3_keys(keys):
        found += _cat_token(state_dict)
    named = isinstance(name, str) and name.lower().startswith('da3') \
        and name.lower() not in MONO_MODEL_NAMES
    if not found and not named:
        return
    what = f"config.json model_name {name!r}" if named else 'its keys'
    details = f' ({", ".join(found)})' if found else ''
    raise UnsupportedCheckpointError(
        f'{source} is a Depth Anything 3 any-view model by {what}{details}'
        ': the DA3-Small/Base/Large/Giant and nested networks (camera '
        'token, QK-norm, RoPE, cat_token, DualDPT, camera heads) are not '
        'supported; only the monocular DA3Mono-Large and DA3Metric-Large '
        '(hf://depth-anything/DA3MONO-LARGE, '
        'hf://depth-anything/DA3METRIC-LARGE) load.')


def _cat_token(state_dict: Mapping[str, Tensor]) -> list[str]:
    """'cat_token' when the head reads [patch, cls] (twice the width)."""
    cls = state_dict.get(DA3_BACKBONE + 'cls_token')
    proj = state_dict.get(DA3_HEAD + 'projects.0.weight')
    if cls is None or proj is None or proj.ndim < 2:
        return []
    if proj.shape[1] == 2 * cls.shape[-1]:
        return ['cat_token (head input twice the token width)']
    return []


def missing_da3_keys(keys: list[str]) -> list[str]:
    """The keys a DA3 mono checkpoint of this depth must have but lacks.

    The block count is read from the highest block index present; every
    block, the encoder's own tensors and the whole DPT head (with the sky
    branch) are required.

    Args:
        keys (list[str]): Keys of a ``depth_anything_3`` state dict.

    Returns:
        list[str]: Missing keys in checkpoint names, in order.
    """
    present = set(keys)
    blocks = [int(m.group(1)) for m in map(_BLOCK.match, keys) if m]
    expected = [DA3_BACKBONE + k for k in ENCODER_KEYS]
    expected += [f'{DA3_BACKBONE}blocks.{i}.{k}'
                 for i in range(max(blocks, default=-1) + 1)
                 for k in BLOCK_KEYS]
    if not blocks:
        expected.append(f'{DA3_BACKBONE}blocks.0.*')
    expected += [DA3_HEAD + k for k in HEAD_KEYS]
    return [key for key in expected if key not in present]


def check_da3_complete(keys: list[str], source: str) -> None:
    """Raises unless a DA3 mono checkpoint has every key it must have.

    Args:
        keys (list[str]): Keys of a ``depth_anything_3`` state dict.
        source (str): How to name the checkpoint in messages.

    Raises:
        IncompleteCheckpointError: Naming the missing keys.
    """
    missing = missing_da3_keys(keys)
    if missing:
        shown = ', '.join(missing[:20])
        more = f' and {len(missing) - 20} more' if len(missing) > 20 else ''
        raise IncompleteCheckpointError(
            f'{source} is a Depth Anything 3 mono checkpoint without '
            f'{len(missing)} of its keys (truncated or not a released '
            f'file?): missing {shown}{more}')
