"""Recognise the layout of a checkpoint and rename its keys to da2zoe's.

da2zoe names its model parts ``backbone`` (DINOv2), ``neck`` (DPT keeps
DA-V2's ``depth_head`` sub-names) and ``head`` (ZoeDepth keeps ZoeDepth's
names), so every known layout converts by prefix mapping alone:

========================  =====================================================
layout                    keys (after unwrapping and ``module.`` stripping)
========================  =====================================================
depth_anything_v2         ``pretrained.*`` encoder, ``depth_head.*`` DPT
                          (DA-V2 relative and metric; DA-V1 relative too)
depth_anything_v1_metric  ``core.core.pretrained.*``,
                          ``core.core.depth_head.*`` and ZoeDepth head keys
                          (``conv2.*``, ``seed_*``, ``projectors.*``,
                          ``attractors.*``, ``conditional_log_binomial.*``)
dinov2_hub                DINOv2 encoder keys with no prefix
da2zoe                    ``backbone.*`` / ``neck.*`` / ``head.*`` already
========================  =====================================================

Wrappers are recognised on top of any layout: ``{'state_dict': ...}``
(MMEngine, with ``meta``), ``{'model': ...}`` (DA-V2's metric training
script, ZoeDepth), ``{'module': ...}``; and key prefixes ``module.`` (DDP) and
``_orig_mod.`` (``torch.compile``) are stripped.
"""
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from torch import Tensor

WRAPPER_KEYS = ('state_dict', 'model', 'module')
STRIPPED_PREFIXES = ('module.', '_orig_mod.')
ZOEDEPTH_HEAD_PREFIXES = ('conv2.', 'seed_bin_regressor.', 'seed_projector.',
                          'projectors.', 'attractors.',
                          'conditional_log_binomial.')
DINOV2_KEYS = ('cls_token', 'pos_embed', 'patch_embed.proj.weight')

# Per layout: (source prefix, da2zoe prefix) rules, first match wins; keys no
# rule matches pass through unchanged.
LAYOUT_RULES: dict[str, tuple[tuple[str, str], ...]] = {
    'depth_anything_v2': (('pretrained.', 'backbone.'),
                          ('depth_head.', 'neck.')),
    'depth_anything_v1_metric': (
        ('core.core.pretrained.', 'backbone.'),
        ('core.core.depth_head.', 'neck.'),
        *((prefix, 'head.' + prefix) for prefix in ZOEDEPTH_HEAD_PREFIXES)),
    'dinov2_hub': (('', 'backbone.'), ),
    'da2zoe': (),
    'unknown': (),
}


@dataclass
class ConversionSummary:
    """What :func:`convert_state_dict` found and did.

    Args:
        layout (str): Detected layout, a key of ``LAYOUT_RULES``.
        wrappers (list[str]): Wrapper keys unwrapped, outermost first.
        stripped (dict[str, int]): Stripped key prefix -> number of keys.
        mapped (dict[tuple[str, str], int]): (source prefix, da2zoe prefix)
            -> number of keys renamed by that rule.
        unchanged (int): Keys passed through unchanged.
        renames (list[tuple[str, str]]): (original key, new key) for every
            key, in order.
    """

    layout: str
    wrappers: list[str] = field(default_factory=list)
    stripped: dict[str, int] = field(default_factory=dict)
    mapped: dict[tuple[str, str], int] = field(default_factory=dict)
    unchanged: int = 0
    renames: list[tuple[str, str]] = field(default_factory=list)

    def __str__(self) -> str:
        lines = [f'layout: {self.layout}']
        if self.wrappers:
            lines.append('unwrapped: ' + ' -> '.join(
                repr(key) for key in self.wrappers))
        for prefix, count in self.stripped.items():
            lines.append(f'stripped {prefix!r} from {count} keys')
        for (src, dst), count in self.mapped.items():
            lines.append(f'{src or "<no prefix>"}* -> {dst}*: {count} keys')
        if self.unchanged:
            lines.append(f'unchanged: {self.unchanged} keys')
        return '\n'.join(lines)


def unwrap_state_dict(checkpoint: Mapping[str, Any]
                      ) -> tuple[Mapping[str, Tensor], list[str]]:
    """Finds the state dict inside a training or MMEngine checkpoint.

    Args:
        checkpoint (Mapping[str, Any]): A state dict or a dict wrapping one
            under ``state_dict``, ``model`` or ``module`` (possibly nested).

    Returns:
        tuple[Mapping[str, Tensor], list[str]]: The state dict and the
        wrapper keys taken, outermost first.

    Raises:
        ValueError: If no state dict (a mapping of names to tensors) is found.
    """
    wrappers = []
    state_dict = checkpoint
    while isinstance(state_dict, Mapping):
        if all(isinstance(value, Tensor) for value in state_dict.values()):
            break
        key = next((k for k in WRAPPER_KEYS
                    if isinstance(state_dict.get(k), Mapping)), None)
        if key is None:
            break
        wrappers.append(key)
        state_dict = state_dict[key]
    if not isinstance(state_dict, Mapping) or not state_dict:
        raise ValueError('The checkpoint holds no state dict (found '
                         f'{type(state_dict).__name__} after unwrapping '
                         f'{wrappers})')
    others = [k for k, v in state_dict.items() if not isinstance(v, Tensor)]
    if others:
        raise ValueError(
            f'Not a state dict: entries {others[:10]} are not tensors and '
            f'none of {list(WRAPPER_KEYS)} holds one (unwrapped {wrappers})')
    return state_dict, wrappers


def strip_wrapper_prefixes(
        state_dict: Mapping[str, Tensor]
) -> tuple[OrderedDict, dict[str, int], list[str]]:
    """Removes leading ``module.`` / ``_orig_mod.`` (repeated) from keys.

    Args:
        state_dict (Mapping[str, Tensor]): Unwrapped state dict.

    Returns:
        tuple[OrderedDict, dict[str, int], list[str]]: The renamed state
        dict, how many keys lost each prefix, and the original key of each
        entry in order.
    """
    stripped: dict[str, int] = {}
    result = OrderedDict()
    originals = []
    for key, value in state_dict.items():
        new_key = key
        while new_key.startswith(STRIPPED_PREFIXES):
            prefix = next(p for p in STRIPPED_PREFIXES
                          if new_key.startswith(p))
            stripped[prefix] = stripped.get(prefix, 0) + 1
            new_key = new_key[len(prefix):]
        if new_key in result:
            raise ValueError(f'Keys {originals[list(result).index(new_key)]!r}'
                             f' and {key!r} collide after stripping wrapper '
                             'prefixes')
        result[new_key] = value
        originals.append(key)
    return result, stripped, originals


def detect_layout(keys: list[str]) -> str:
    """Names the layout of an unwrapped, prefix-stripped state dict.

    Args:
        keys (list[str]): Its keys.

    Returns:
        str: ``'depth_anything_v1_metric'``, ``'depth_anything_v2'``,
        ``'da2zoe'``, ``'dinov2_hub'`` or ``'unknown'``.
    """

    def has(prefix: str) -> bool:
        return any(key.startswith(prefix) for key in keys)

    if has('core.core.pretrained.'):
        return 'depth_anything_v1_metric'
    if has('pretrained.'):
        return 'depth_anything_v2'
    if has('backbone.') or has('neck.') or has('head.'):
        return 'da2zoe'
    if all(key in keys for key in DINOV2_KEYS):
        return 'dinov2_hub'
    return 'unknown'


def convert_state_dict(
    state_dict: Mapping[str, Any]
) -> tuple[OrderedDict, str, ConversionSummary]:
    """Converts a checkpoint of any known layout to da2zoe key names.

    Tensors are not copied; only keys change. Works on ``meta`` tensors.

    Args:
        state_dict (Mapping[str, Any]): What ``torch.load`` returned: a
            state dict, or a training / MMEngine checkpoint wrapping one.

    Returns:
        tuple[OrderedDict, str, ConversionSummary]: The renamed state dict,
        the layout name, and a summary of the mapping.
    """
    unwrapped, wrappers = unwrap_state_dict(state_dict)
    stripped_sd, stripped, originals = strip_wrapper_prefixes(unwrapped)
    layout = detect_layout(list(stripped_sd))
    summary = ConversionSummary(layout, wrappers, stripped)
    converted = OrderedDict()
    for original, (key, value) in zip(originals, stripped_sd.items()):
        rule = next(((src, dst) for src, dst in LAYOUT_RULES[layout]
                     if key.startswith(src)), None)
        if rule is None:
            new_key = key
            summary.unchanged += 1
        else:
            new_key = rule[1] + key[len(rule[0]):]
            summary.mapped[rule] = summary.mapped.get(rule, 0) + 1
        converted[new_key] = value
        summary.renames.append((original, new_key))
    return converted, layout, summary
