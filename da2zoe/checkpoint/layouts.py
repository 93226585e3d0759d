"""Recognise the layout of a checkpoint and rename its keys to da2zoe's.

da2zoe names its model parts ``backbone`` (DINOv2), ``neck`` (DPT keeps
DA-V2's ``depth_head`` sub-names) and ``head`` (ZoeDepth keeps ZoeDepth's
names), so the original layouts convert by prefix mapping alone (transformers'
by the key table of :mod:`da2zoe.checkpoint.hf_layouts`):

========================  =====================================================
layout                    keys (after unwrapping and ``module.`` stripping)
========================  =====================================================
depth_anything_v2         ``pretrained.*`` encoder, ``depth_head.*`` DPT
                          (DA-V2 relative and metric; DA-V1 relative too)
depth_anything_v1_metric  ``core.core.pretrained.*``,
                          ``core.core.depth_head.*`` and ZoeDepth head keys
                          (``conv2.*``, ``seed_*``, ``projectors.*``,
                          ``attractors.*``, ``conditional_log_binomial.*``)
transformers_depth_anything  ``backbone.embeddings.*``, ``backbone.encoder.*``,
                          ``neck.reassemble_stage.*``, ``head.conv{1,2,3}``
                          (``DepthAnythingForDepthEstimation``, V1 / V2,
                          relative and metric; renamed by ``hf_layouts``)
transformers_dinov2       ``embeddings.*``, ``encoder.layer.*``,
                          ``layernorm.*`` (``Dinov2Model`` /
                          ``Dinov2Backbone``, optionally under ``dinov2.``)
depth_anything_3          ``model.backbone.pretrained.*`` encoder,
                          ``model.head.*`` DPT with sky branch (DA3Mono-Large,
                          DA3Metric-Large; any-view DA3 models are refused,
                          see :mod:`da2zoe.checkpoint.da3_layout`)
dinov2_hub                DINOv2 encoder keys with no prefix
da2zoe                    ``backbone.*`` / ``neck.*`` / ``head.*`` already
========================  =====================================================

A layout is detected only if it has a place for every key (see
:func:`detect_layout`); anything else is an :class:`UnknownLayoutError`.
Wrappers are recognised on top of any layout: ``{'state_dict': ...}``
(MMEngine, with ``meta``), ``{'model': ...}`` (DA-V2's metric training
script, ZoeDepth), ``{'module': ...}``; and key prefixes ``module.`` (DDP) and
``_orig_mod.`` (``torch.compile``) are stripped.
"""
import re
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from torch import Tensor

from .da3_layout import (
    MONO_MODEL_NAMES,
    UnsupportedCheckpointError,
    check_da3_complete,
    refuse_unsupported_da3,
    wrap_bare_da3_network,
)
from .hf_layouts import hf_key_names, hf_to_da2zoe

WRAPPER_KEYS = ('state_dict', 'model', 'module')
STRIPPED_PREFIXES = ('module.', '_orig_mod.')
ZOEDEPTH_HEAD_PREFIXES = ('conv2.', 'seed_bin_regressor.', 'seed_projector.',
                          'projectors.', 'attractors.',
                          'conditional_log_binomial.')
DINOV2_KEYS = ('cls_token', 'pos_embed', 'patch_embed.proj.weight')
_DINO = (r'(cls_token|pos_embed|mask_token|register_tokens|patch_embed\.'
         r'|blocks\.\d+\.|norm\.)')
_HF_DINO = r'(embeddings\.|encoder\.layer\.\d+\.|layernorm\.)'
_ZOE = r'(conv2|seed_bin_regressor|seed_projector|projectors|attractors' \
    r'|conditional_log_binomial)\.'
# Per layout, in detection order: every key the layout can hold. A layout
# is detected only when it holds all keys of a checkpoint.
LAYOUT_KEYS: dict[str, re.Pattern] = {
    'depth_anything_3': re.compile(
        rf'^model\.(backbone\.pretrained\.{_DINO}'
        r'|head\.(projects|resize_layers|scratch)\.)'),
    'depth_anything_v1_metric': re.compile(
        rf'^(core\.core\.pretrained\.{_DINO}|core\.core\.depth_head\.'
        rf'|{_ZOE})'),
    'depth_anything_v2': re.compile(rf'^(pretrained\.{_DINO}|depth_head\.)'),
    'transformers_depth_anything': re.compile(
        rf'^(backbone\.{_HF_DINO}|neck\.(reassemble_stage|convs'
        r'|fusion_stage)\.|head\.conv[123]\.)'),
    'transformers_dinov2': re.compile(rf'^(dinov2\.)?{_HF_DINO}'),
    'dinov2_hub': re.compile(rf'^{_DINO}'),
    'da2zoe': re.compile(
        rf'^(backbone\.{_DINO}|neck\.|head\.|losses\.|data_preprocessor\.)'),
}
# Keys one of which a checkpoint of the layout must have.
LAYOUT_SIGNATURES: dict[str, re.Pattern] = {
    'depth_anything_3': re.compile(r'^model\.backbone\.pretrained\.'),
    'depth_anything_v1_metric': re.compile(r'^core\.core\.pretrained\.'),
    'depth_anything_v2': re.compile(r'^pretrained\.'),
    'transformers_depth_anything': re.compile(
        r'^(backbone\.embeddings\.|neck\.reassemble_stage\.)'),
    'transformers_dinov2': re.compile(
        r'^(dinov2\.)?embeddings\.patch_embeddings\.'),
    'dinov2_hub': re.compile(r'^patch_embed\.proj\.weight$'),
}

# Per layout: (source prefix, da2zoe prefix) rules, first match wins; keys no
# rule matches pass through unchanged.
LAYOUT_RULES: dict[str, tuple[tuple[str, str], ...]] = {
    'depth_anything_3': (('model.backbone.pretrained.', 'backbone.'),
                         ('model.head.', 'head.')),
    'depth_anything_v2': (('pretrained.', 'backbone.'),
                          ('depth_head.', 'neck.')),
    'depth_anything_v1_metric': (
        ('core.core.pretrained.', 'backbone.'),
        ('core.core.depth_head.', 'neck.'),
        *((prefix, 'head.' + prefix) for prefix in ZOEDEPTH_HEAD_PREFIXES)),
    'dinov2_hub': (('', 'backbone.'), ),
    'da2zoe': (),
}
# Layouts converted by renaming inside keys (hf_layouts.py): the encoder
# prefix on the transformers side.
HF_LAYOUTS = {'transformers_depth_anything': 'backbone.',
              'transformers_dinov2': ''}


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
    dropped: list[str] = field(default_factory=list)

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
        if self.dropped:
            lines.append(f'dropped the classification head: '
                         f'{", ".join(self.dropped)}')
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


class UnknownLayoutError(ValueError):
    """No known layout explains every key of a checkpoint.

    The message lists the closest layouts (share of keys each explains)
    and the first keys the closest one does not, so nothing is loaded
    partially by accident.
    """


def _layout_of_key(layout: str, key: str) -> bool:
    """Whether ``layout`` has a place for ``key``."""
    return LAYOUT_KEYS[layout].match(key) is not None


def layout_coverage(keys: list[str]) -> list[tuple[str, float, list[str]]]:
    """How much of a key set each known layout explains.

    Args:
        keys (list[str]): Keys of an unwrapped, prefix-stripped state dict.

    Returns:
        list[tuple[str, float, list[str]]]: (layout, share of keys it
        explains, the keys it does not) for every layout, best first.
    """
    rows = []
    for layout in LAYOUT_KEYS:
        unmatched = [k for k in keys if not _layout_of_key(layout, k)]
        rows.append((layout, 1 - len(unmatched) / max(len(keys), 1),
                     unmatched))
    return sorted(rows, key=lambda row: -row[1])


def detect_layout(keys: list[str]) -> str:
    """Names the layout of an unwrapped, prefix-stripped state dict.

    A layout is chosen only if it has a place for EVERY key and its
    signature keys are present (so transformers' ``backbone.embeddings.*``
    is not taken for da2zoe's ``backbone.*``); the first such layout of
    ``LAYOUT_KEYS`` wins.

    Args:
        keys (list[str]): Its keys.

    Returns:
        str: ``'depth_anything_3'``, ``'depth_anything_v1_metric'``,
        ``'depth_anything_v2'``,
        ``'transformers_depth_anything'``, ``'transformers_dinov2'``,
        ``'dinov2_hub'`` or ``'da2zoe'``.

    Raises:
        UnknownLayoutError: If no layout explains all keys; the message
            names the closest layouts and the first unexplained keys.
    """
    for layout in LAYOUT_KEYS:
        signature = LAYOUT_SIGNATURES.get(layout)
        if signature is not None and not any(
                signature.match(key) for key in keys):
            continue
        if all(_layout_of_key(layout, key) for key in keys):
            return layout
    closest = layout_coverage(keys)[:3]
    details = '; '.join(
        f'{layout} explains {share:.0%} (not e.g. {unmatched[:5]})'
        for layout, share, unmatched in closest)
    raise UnknownLayoutError(
        f'Unknown checkpoint layout ({len(keys)} keys, first '
        f'{keys[:3]}): closest {details}. Known layouts: '
        f'{", ".join(LAYOUT_KEYS)}. Convert the keys yourself or pass '
        'only the part you mean (e.g. the encoder\'s keys).')


# transformers' Dinov2ForImageClassification: the encoder under ``dinov2.``
# plus a linear head on [CLS, mean patch] that depth has no use for.
_CLASSIFIER = re.compile(r'^classifier\.(weight|bias)$')


def drop_classifier_head(state_dict: Mapping[str, Tensor]
                         ) -> tuple[Mapping[str, Tensor], list[str]]:
    """Takes the encoder of a transformers DINOv2 image classifier.

    Only when every other key is the ``dinov2.``-prefixed encoder: a
    ``classifier.*`` key beside anything else stays, and detection names it.

    Args:
        state_dict (Mapping[str, Tensor]): A prefix-stripped state dict.

    Returns:
        tuple: The state dict without the head, and the dropped keys.
    """
    rest = OrderedDict((key, value) for key, value in state_dict.items()
                       if not _CLASSIFIER.match(key))
    head = [key for key in state_dict if key not in rest]
    if not head or not rest or not all(
            key.startswith('dinov2.') for key in rest):
        return state_dict, []
    return rest, head


def _refuse_register_tokens(keys: list[str], layout: str) -> None:
    """A DINOv2 with registers (``dinov2_vit*14_reg``) would load all but
    its ``register_tokens`` and then run as another network: refused."""
    found = [key for key in keys if key.split('.')[-1] == 'register_tokens']
    if found:
        raise UnsupportedCheckpointError(
            f'{layout} checkpoint with register tokens ({found[0]!r}): a '
            'DINOv2 with registers (dinov2_*_reg) is not supported; '
            'da2zoe\'s DINOv2 has no register tokens, and dropping them '
            'would give another network. Use a DINOv2 / Depth Anything '
            'checkpoint without registers.')


def convert_state_dict(
    state_dict: Mapping[str, Any],
    config: Mapping[str, Any] | None = None
) -> tuple[OrderedDict, str, ConversionSummary]:
    """Converts a checkpoint of any known layout to da2zoe key names.

    Tensors are not copied; only keys change. Works on ``meta`` tensors.

    Args:
        state_dict (Mapping[str, Any]): What ``torch.load`` returned: a
            state dict, or a training / MMEngine checkpoint wrapping one.
        config (Mapping[str, Any] | None): The ``config.json`` of the
            snapshot folder the weights came from, if any (it names a
            Depth Anything 3 model). Defaults to None.

    Returns:
        tuple[OrderedDict, str, ConversionSummary]: The renamed state dict,
        the layout name, and a summary of the mapping.

    Raises:
        UnknownLayoutError: If no layout explains every key, or the keys
            contradict ``config``.
        UnsupportedCheckpointError: For a Depth Anything 3 any-view or
            nested model, or a DINOv2 with register tokens.
        IncompleteCheckpointError: For a Depth Anything 3 mono checkpoint
            missing keys (named).
    """
    unwrapped, wrappers = unwrap_state_dict(state_dict)
    stripped_sd, stripped, originals = strip_wrapper_prefixes(unwrapped)
    bare = wrap_bare_da3_network(stripped_sd)
    stripped_sd = bare or stripped_sd
    refuse_unsupported_da3(stripped_sd, config)
    kept, dropped = drop_classifier_head(stripped_sd)
    if dropped:
        originals = [original for original, key in zip(originals, stripped_sd)
                     if key in kept]
        stripped_sd = kept
    layout = detect_layout(list(stripped_sd))
    _refuse_register_tokens(list(stripped_sd), layout)
    name = (config or {}).get('model_name')
    if name in MONO_MODEL_NAMES and layout != 'depth_anything_3':
        raise UnknownLayoutError(
            f'config.json names {name!r} but the weights have the '
            f'{layout!r} layout, not Depth Anything 3\'s')
    if layout == 'depth_anything_3':
        check_da3_complete(list(stripped_sd), 'the checkpoint' + (
            " (the bare network: keys named below with the released "
            "files' model. prefix)" if bare else ''))
    summary = ConversionSummary(layout, wrappers, stripped, dropped=dropped)
    if layout in HF_LAYOUTS:
        return _convert_hf(stripped_sd, originals, layout, summary)
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


def _convert_hf(state_dict: OrderedDict, originals: list[str], layout: str,
               summary: ConversionSummary
               ) -> tuple[OrderedDict, str, ConversionSummary]:
    """The transformers layouts: renames inside keys, q/k/v fused."""
    prefix = HF_LAYOUTS[layout]
    if not prefix and all(k.startswith('dinov2.') for k in state_dict):
        prefix = 'dinov2.'
    renamed, unmatched = hf_to_da2zoe(state_dict, prefix)
    if unmatched:
        raise UnknownLayoutError(f'{layout}: no da2zoe name for keys '
                                 f'{unmatched[:8]}')
    target = '' if prefix == 'backbone.' else 'backbone.'
    converted = OrderedDict((target + k, v) for k, v in renamed.items())
    for original, key in zip(originals, state_dict):
        name = hf_key_names(key, prefix)
        new_key = target + name
        rule = (key.split('.', 1)[0] + '.', new_key.split('.', 1)[0] + '.')
        summary.mapped[rule] = summary.mapped.get(rule, 0) + 1
        summary.renames.append((original, new_key))
    return converted, layout, summary
