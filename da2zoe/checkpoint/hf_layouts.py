"""transformers' DINOv2 and Depth Anything key names <-> da2zoe's.

transformers names the same tensors differently and splits the attention
projection into ``query`` / ``key`` / ``value``; everything else is a
rename. Both directions are built from one table, so what
:func:`hf_to_da2zoe` reads, :func:`da2zoe_to_hf` writes back bit for bit.

==========================================  ===============================
transformers                                da2zoe
==========================================  ===============================
``embeddings.cls_token`` / ``mask_token``   ``cls_token`` / ``mask_token``
``embeddings.position_embeddings``          ``pos_embed``
``embeddings.patch_embeddings.projection``  ``patch_embed.proj``
``encoder.layer.{i}.attention.attention.``  ``blocks.{i}.attn.qkv`` (rows
``{query,key,value}``                       ``[q; k; v]``)
``encoder.layer.{i}.attention.output.dense``  ``blocks.{i}.attn.proj``
``encoder.layer.{i}.layer_scale{1,2}``      ``blocks.{i}.ls{1,2}.gamma``
``.lambda1``
``encoder.layer.{i}.mlp.fc{1,2}``           ``blocks.{i}.mlp.fc{1,2}``
``encoder.layer.{i}.mlp.weights_{in,out}``  ``blocks.{i}.mlp.{w12,w3}``
(SwiGLU, giant)
``layernorm``                               ``norm``
``neck.reassemble_stage.layers.{k}.``       ``neck.projects.{k}`` /
``{projection,resize}``                     ``neck.resize_layers.{k}``
``neck.convs.{k}``                          ``neck.scratch.layer{k+1}_rn``
``neck.fusion_stage.layers.{j}.``           ``neck.scratch.refinenet{4-j}.``
``{projection,residual_layer{1,2}.``        ``{out_conv,resConfUnit{1,2}.``
``convolution{1,2}}``                       ``conv{1,2}}`` (reversed order)
``head.conv1`` / ``conv2`` / ``conv3``      ``neck.scratch.output_conv1`` /
                                            ``output_conv2.0`` / ``.2``
==========================================  ===============================

A ``Dinov2Model`` state dict has the encoder keys bare (or under
``dinov2.`` when saved from a classification model); a
``DepthAnythingForDepthEstimation`` one has them under ``backbone.``.
"""
import re
from collections import OrderedDict
from collections.abc import Mapping

import torch
from torch import Tensor

# (transformers name, da2zoe name) inside one encoder block; prefixes match.
BLOCK_RULES = (
    ('norm1.', 'norm1.'),
    ('attention.output.dense.', 'attn.proj.'),
    ('layer_scale1.lambda1', 'ls1.gamma'),
    ('norm2.', 'norm2.'),
    ('mlp.fc1.', 'mlp.fc1.'),
    ('mlp.fc2.', 'mlp.fc2.'),
    ('mlp.weights_in.', 'mlp.w12.'),
    ('mlp.weights_out.', 'mlp.w3.'),
    ('layer_scale2.lambda1', 'ls2.gamma'),
)
QKV = ('query', 'key', 'value')
HF_QKV = 'attention.attention.'
# Read only: transformers 5 names tensors differently in memory
# (``model.state_dict()``) than in its files (``save_pretrained`` writes the
# names above); both load. (name, da2zoe name, part index, parts) for the
# tensors da2zoe keeps fused, plain renames after them.
FUSED_PARTS = (
    *((f'{HF_QKV}{p}.', 'attn.qkv.', i, 3) for i, p in enumerate(QKV)),
    *((f'attention.{p}_proj.', 'attn.qkv.', i, 3)
      for i, p in enumerate('qkv')),
    ('mlp.gate_proj.', 'mlp.w12.', 0, 2),
    ('mlp.up_proj.', 'mlp.w12.', 1, 2),
)
MEMORY_RULES = (
    ('attention.o_proj.', 'attn.proj.'),
    ('mlp.down_proj.', 'mlp.w3.'),
)
ENCODER_RULES = (
    ('embeddings.cls_token', 'cls_token'),
    ('embeddings.mask_token', 'mask_token'),
    ('embeddings.position_embeddings', 'pos_embed'),
    ('embeddings.patch_embeddings.projection.', 'patch_embed.proj.'),
    ('layernorm.', 'norm.'),
)
DPT_RULES = (
    *((f'reassemble_stage.layers.{k}.projection.', f'projects.{k}.')
      for k in range(4)),
    *((f'reassemble_stage.layers.{k}.resize.', f'resize_layers.{k}.')
      for k in range(4)),
    *((f'convs.{k}.', f'scratch.layer{k + 1}_rn.') for k in range(4)),
    *((f'fusion_stage.layers.{j}.projection.',
       f'scratch.refinenet{4 - j}.out_conv.') for j in range(4)),
    *((f'fusion_stage.layers.{j}.residual_layer{r}.convolution{c}.',
       f'scratch.refinenet{4 - j}.resConfUnit{r}.conv{c}.')
      for j in range(4) for r in (1, 2) for c in (1, 2)),
)
HEAD_RULES = (
    ('head.conv1.', 'neck.scratch.output_conv1.'),
    ('head.conv2.', 'neck.scratch.output_conv2.0.'),
    ('head.conv3.', 'neck.scratch.output_conv2.2.'),
)
HF_BLOCK = re.compile(r'^encoder\.layer\.(\d+)\.(.*)$')
OUR_BLOCK = re.compile(r'^blocks\.(\d+)\.(.*)$')


def _rename(key: str, rules: tuple, reverse: bool) -> str | None:
    """Applies the first prefix rule that matches ``key``, else None."""
    for hf_name, our_name in rules:
        src, dst = (our_name, hf_name) if reverse else (hf_name, our_name)
        if key.startswith(src):
            return dst + key[len(src):]
    return None


def _encoder_key(key: str, reverse: bool) -> str | list[str] | None:
    """One encoder key in the other naming; a list for a split qkv."""
    name = _rename(key, ENCODER_RULES, reverse)
    if name is not None:
        return name
    match = (OUR_BLOCK if reverse else HF_BLOCK).match(key)
    if match is None:
        return None
    index, rest = match.groups()
    dst_block = f'encoder.layer.{index}.' if reverse else f'blocks.{index}.'
    if reverse and rest.startswith('attn.qkv.'):
        suffix = rest[len('attn.qkv.'):]
        return [f'{dst_block}{HF_QKV}{part}.{suffix}' for part in QKV]
    if not reverse:
        part = next((f for f in FUSED_PARTS if rest.startswith(f[0])), None)
        if part is not None:
            return dst_block + part[1] + rest[len(part[0]):]
    name = _rename(rest, BLOCK_RULES, reverse)
    if name is None and not reverse:
        name = _rename(rest, MEMORY_RULES, reverse)
    return None if name is None else dst_block + name


def hf_key_names(key: str, encoder_prefix: str = '',
                 reverse: bool = False) -> str | list[str] | None:
    """Renames one key between transformers' and da2zoe's names.

    Args:
        key (str): A transformers key (``reverse=False``) or a da2zoe one.
        encoder_prefix (str): Prefix of the encoder keys on the
            transformers side (``''`` / ``'dinov2.'`` for ``Dinov2Model``,
            ``'backbone.'`` for Depth Anything). The da2zoe side is
            ``backbone.`` when the transformers one is ``backbone.``, else
            bare. Defaults to ``''``.
        reverse (bool): da2zoe -> transformers. Defaults to False.

    Returns:
        str | list[str] | None: The other name; for the fused ``qkv`` going
        to transformers, the three ``query`` / ``key`` / ``value`` names (a
        transformers ``query`` / ``key`` / ``value`` key maps to the one
        ``qkv`` name); None if no rule knows the key.
    """
    our_prefix = 'backbone.' if encoder_prefix == 'backbone.' else ''
    src_prefix, dst_prefix = ((our_prefix, encoder_prefix) if reverse else
                              (encoder_prefix, our_prefix))
    if key.startswith(src_prefix):
        name = _encoder_key(key[len(src_prefix):], reverse)
        if isinstance(name, list):
            return [dst_prefix + n for n in name]
        if name is not None:
            return dst_prefix + name
    if encoder_prefix != 'backbone.':
        return None
    name = _rename(key, HEAD_RULES, reverse)
    if name is not None:
        return name
    if key.startswith('neck.'):
        name = _rename(key[len('neck.'):], DPT_RULES, reverse)
        if name is not None:
            return 'neck.' + name
    return None


def fused_part(key: str) -> tuple | None:
    """The :data:`FUSED_PARTS` entry of a transformers key, if any."""
    match = re.match(r'^(?:.*\.)?encoder\.layer\.\d+\.(.*)$', key)
    if match is None:
        return None
    return next((f for f in FUSED_PARTS if match.group(1).startswith(f[0])),
                None)


def hf_to_da2zoe(state_dict: Mapping[str, Tensor], encoder_prefix: str = ''
                 ) -> tuple[OrderedDict, list[str]]:
    """Converts a transformers DINOv2 / Depth Anything state dict.

    ``query`` / ``key`` / ``value`` (or transformers 5's in-memory
    ``q_proj`` / ``k_proj`` / ``v_proj``) are concatenated in that order
    into one ``qkv`` tensor, SwiGLU's ``gate_proj`` / ``up_proj`` into
    ``w12``; every other tensor is passed through uncopied.

    Args:
        state_dict (Mapping[str, Tensor]): transformers keys.
        encoder_prefix (str): See :func:`hf_key_names`.

    Returns:
        tuple[OrderedDict, list[str]]: da2zoe-named state dict and the keys
        no rule knows (left out).

    Raises:
        ValueError: If a ``qkv`` misses one of its three parts.
    """
    converted: OrderedDict = OrderedDict()
    parts: dict[str, dict[str, Tensor]] = {}
    unmatched = []
    for key, value in state_dict.items():
        name = hf_key_names(key, encoder_prefix)
        if name is None:
            unmatched.append(key)
        elif (part := fused_part(key)) is not None:
            parts.setdefault(name, {})[part[2]] = (key, value, part[3])
            converted.setdefault(name, None)
        else:
            converted[name] = value
    for name, found in parts.items():
        count = next(iter(found.values()))[2]
        if sorted(found) != list(range(count)):
            raise ValueError(
                f'{name} is fused from {count} tensors; the checkpoint has '
                f'only {[key for key, _, _ in found.values()]}')
        converted[name] = torch.cat([found[i][1] for i in range(count)],
                                    dim=0)
    return converted, unmatched


def da2zoe_to_hf(state_dict: Mapping[str, Tensor], encoder_prefix: str
                 ) -> OrderedDict:
    """Converts a da2zoe DINOv2 (+ DPTNeck) state dict to transformers'.

    Args:
        state_dict (Mapping[str, Tensor]): da2zoe keys (``backbone.*`` and
            ``neck.*`` with ``encoder_prefix='backbone.'``, bare encoder
            keys otherwise).
        encoder_prefix (str): See :func:`hf_key_names`.

    Returns:
        OrderedDict: transformers-named state dict (contiguous tensors, as
        safetensors needs).

    Raises:
        ValueError: On keys transformers has no place for, named.
    """
    converted: OrderedDict = OrderedDict()
    unmatched = []
    for key, value in state_dict.items():
        name = hf_key_names(key, encoder_prefix, reverse=True)
        if name is None:
            unmatched.append(key)
        elif isinstance(name, list):
            for part_name, part in zip(name, value.chunk(3, dim=0)):
                converted[part_name] = part.contiguous()
        else:
            converted[name] = value.contiguous()
    if unmatched:
        raise ValueError('transformers has no place for '
                         f'{len(unmatched)} keys: {unmatched[:8]}')
    return converted
