"""DINOv2 ViT encoder as Depth Anything V1/V2 use it."""
import logging
from collections.abc import Sequence

import torch
from mmengine.logging import print_log
from mmengine.model import BaseModule
from torch import Tensor, nn
from torch.utils.checkpoint import checkpoint

from da2zoe.checkpoint import load_pretrained, random_frozen_message
from da2zoe.registry import BACKBONES
from da2zoe.structures.patch_grid import PATCH_SIZE, nearest_valid_sizes
from .block import Block
from .patch_embed import PatchEmbed
from .pos_embed import pos_embed_for_grid
from .pos_embed_by_size import pos_embed_for_grid_by_size

POS_EMBED_RULES = {'dinov2': pos_embed_for_grid,
                   'transformers': pos_embed_for_grid_by_size}
ARCH_KEYS = ('embed_dims', 'num_layers', 'num_heads', 'mlp_ratio', 'ffn_type',
             'feature_blocks', 'final_norm_eps', 'mask_token')
DA3_FINAL_NORM_EPS = 1e-5
# What a custom arch dict leaves out (DINOv2's own values).
ARCH_DEFAULTS = dict(mlp_ratio=4, ffn_type='mlp', final_norm_eps=1e-6,
                     mask_token=True)


@BACKBONES.register_module()
class DINOv2(BaseModule):
    """DINOv2 vision transformer returning the tokens of chosen blocks.

    Parameter names are DINOv2's (``cls_token``, ``pos_embed``,
    ``mask_token``, ``patch_embed.proj``, ``blocks.{i}.{norm1, attn.qkv,
    attn.proj, ls1.gamma, norm2, mlp.*, ls2.gamma}``, ``norm``), so DINOv2 hub
    and Depth Anything encoder weights load without renaming. Every returned
    level goes through the final LayerNorm ``norm``, as in DINOv2's
    ``get_intermediate_layers``. ``mask_token`` is kept for checkpoint
    compatibility and is unused.

    Depth Anything 3's monocular encoders (DA3Mono-Large, DA3Metric-Large)
    are DINOv2 ViT-L with two differences that are part of the arch, so a
    checkpoint loads with no patching: the final ``norm`` has eps 1e-5 (the
    blocks keep 1e-6) and there is no ``mask_token``. ``arch='da3-vitl'``
    is that encoder (blocks 4, 11, 17, 23, as DA-V2's vitl).

    Args:
        arch (str | dict): ``'vits'``, ``'vitb'``, ``'vitl'``, ``'vitg'``, or a
            dict with ``embed_dims``, ``num_layers``, ``num_heads`` and
            optionally ``mlp_ratio`` (4), ``ffn_type`` (``'mlp'`` or
            ``'swiglu'``), ``feature_blocks`` (default: the last 4 blocks),
            ``final_norm_eps`` (eps of the final LayerNorm, 1e-6; Depth
            Anything 3: 1e-5) and ``mask_token`` (whether the parameter
            exists, True; Depth Anything 3: False). Defaults to ``'vitl'``.
        img_size (int): Training resolution; the stored position embedding
            is an ``img_size // patch_size`` square grid. Defaults to 518.
        patch_size (int): Patch side in pixels. Defaults to 14.
        in_channels (int): Image channels. Defaults to 3.
        out_indices (Sequence[int] | int | None): Blocks (0-based, negative
            counts from the end) whose outputs are returned, or an int ``n``
            for the last ``n`` blocks (Depth Anything V1). ``None`` takes the
            arch's Depth Anything V2 feature blocks. Defaults to None.
        layer_scale_init_value (float): Initial LayerScale. Defaults to 1.0.
        frozen (bool): No gradients for any parameter and eval mode kept
            through ``train()``. Defaults to False.
        with_cp (bool): Activation checkpointing of every block while
            training, trading compute for memory. Defaults to False.
        low_precision_logits (bool): Opt-in CPU speed-up of 16-bit
            (autocast) attention that needs no gradient: two matmuls with
            16-bit logits instead of the flash kernel (see
            :class:`~da2zoe.models.backbones.attention.Attention`; 7-12 %
            faster vits bf16 inference and frozen-encoder training on a CPU
            without AMX). Defaults to False.
        allow_random_frozen (bool): Do not warn when a ``frozen`` encoder
            is trained while still holding its random initialisation (no
            pretrained weights reached it: ``init_cfg``, ``pretrained``,
            ``load_from`` and resume all change it). Set it only for
            from-scratch experiments and tests. Defaults to False.
        pos_embed_rule (str): How the stored position embedding is resized
            to other grids: ``'dinov2'`` (the original DINOv2 / Depth
            Anything code: scale factors with offset 0.1) or
            ``'transformers'`` (transformers' ``Dinov2Model``: output size,
            in float32). Use the rule of the code the weights were trained
            and published with to match it exactly. Defaults to
            ``'dinov2'``.
        init_cfg (dict | list[dict] | None): MMEngine init config. A
            ``dict(type='Pretrained', checkpoint=PATH)`` entry loads any
            checkpoint layout :func:`da2zoe.checkpoint.convert_state_dict`
            knows (Depth Anything V1/V2, DINOv2 hub, training or da2zoe
            checkpoints), taking its ``prefix`` part (default
            ``'backbone.'``). Defaults to None.
    """

    arch_zoo = {
        'vits': dict(embed_dims=384, num_layers=12, num_heads=6,
                     mlp_ratio=4, ffn_type='mlp',
                     feature_blocks=(2, 5, 8, 11)),
        'vitb': dict(embed_dims=768, num_layers=12, num_heads=12,
                     mlp_ratio=4, ffn_type='mlp',
                     feature_blocks=(2, 5, 8, 11)),
        'vitl': dict(embed_dims=1024, num_layers=24, num_heads=16,
                     mlp_ratio=4, ffn_type='mlp',
                     feature_blocks=(4, 11, 17, 23)),
        'vitg': dict(embed_dims=1536, num_layers=40, num_heads=24,
                     mlp_ratio=4, ffn_type='swiglu',
                     feature_blocks=(9, 19, 29, 39)),
        'da3-vitl': dict(embed_dims=1024, num_layers=24, num_heads=16,
                         mlp_ratio=4, ffn_type='mlp',
                         feature_blocks=(4, 11, 17, 23),
                         final_norm_eps=DA3_FINAL_NORM_EPS,
                         mask_token=False),
    }  # yapf: disable

    def __init__(self,
                 arch: str | dict = 'vitl',
                 img_size: int = 518,
                 patch_size: int = PATCH_SIZE,
                 in_channels: int = 3,
                 out_indices: Sequence[int] | int | None = None,
                 layer_scale_init_value: float = 1.0,
                 frozen: bool = False,
                 with_cp: bool = False,
                 low_precision_logits: bool = False,
                 allow_random_frozen: bool = False,
                 pos_embed_rule: str = 'dinov2',
                 init_cfg: dict | list[dict] | None = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if pos_embed_rule not in POS_EMBED_RULES:
            raise ValueError(f'pos_embed_rule must be one of '
                             f'{sorted(POS_EMBED_RULES)}, got '
                             f'{pos_embed_rule!r}')
        self.pos_embed_rule = pos_embed_rule
        self.arch_settings = self._parse_arch(arch)
        self.arch_name = arch if isinstance(arch, str) else 'custom'
        embed_dims = self.arch_settings['embed_dims']
        num_layers = self.arch_settings['num_layers']
        self.embed_dims = embed_dims
        self.num_layers = num_layers
        self.patch_size = patch_size
        self.out_indices = self._parse_out_indices(
            out_indices, self.arch_settings['feature_blocks'], num_layers)
        self.frozen = frozen
        self.with_cp = with_cp

        grid = img_size // patch_size
        self.patch_embed = PatchEmbed(patch_size, in_channels, embed_dims)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dims))
        self.pos_embed = nn.Parameter(
            torch.zeros(1, 1 + grid * grid, embed_dims))
        if self.arch_settings['mask_token']:
            # In every DINOv2 checkpoint but unused for depth: not trained,
            # so DDP sees no parameter without a gradient.
            self.mask_token = nn.Parameter(
                torch.zeros(1, embed_dims), requires_grad=False)
        self.blocks = nn.ModuleList(
            Block(embed_dims, self.arch_settings['num_heads'],
                  self.arch_settings['mlp_ratio'],
                  self.arch_settings['ffn_type'], layer_scale_init_value,
                  low_precision_logits)
            for _ in range(num_layers))
        self.norm = nn.LayerNorm(
            embed_dims, eps=self.arch_settings['final_norm_eps'])

        self._init_default_weights()
        self.allow_random_frozen = allow_random_frozen
        # A copy of one random filter: if the weights still equal it when a
        # frozen encoder trains, no checkpoint ever reached them.
        self.register_buffer(
            'random_init_probe',
            self.patch_embed.proj.weight[0].detach().clone(),
            persistent=False)
        if frozen:
            self.requires_grad_(False)
            self.eval()

    @classmethod
    def _parse_arch(cls, arch: str | dict) -> dict:
        if isinstance(arch, str):
            if arch not in cls.arch_zoo:
                raise ValueError(f'Unknown DINOv2 arch {arch!r}; choose from '
                                 f'{sorted(cls.arch_zoo)} or pass a dict')
            return {**ARCH_DEFAULTS, **cls.arch_zoo[arch]}
        unknown = set(arch) - set(ARCH_KEYS)
        missing = {'embed_dims', 'num_layers', 'num_heads'} - set(arch)
        if unknown or missing:
            raise ValueError(f'Custom DINOv2 arch {arch}: unknown keys '
                             f'{sorted(unknown)}, missing keys '
                             f'{sorted(missing)}')
        settings = {**ARCH_DEFAULTS, **arch}
        num_layers = settings['num_layers']
        settings.setdefault('feature_blocks',
                            tuple(range(max(num_layers - 4, 0), num_layers)))
        return settings

    @staticmethod
    def _parse_out_indices(out_indices: Sequence[int] | int | None,
                           feature_blocks: Sequence[int],
                           num_layers: int) -> tuple[int, ...]:
        if out_indices is None:
            out_indices = feature_blocks
        elif isinstance(out_indices, int):
            if not 1 <= out_indices <= num_layers:
                raise ValueError(
                    f'out_indices={out_indices} asks for the last '
                    f'{out_indices} blocks of {num_layers}')
            out_indices = range(num_layers - out_indices, num_layers)
        indices = []
        for index in out_indices:
            if not -num_layers <= index < num_layers:
                raise ValueError(f'out_indices entry {index} is outside the '
                                 f'{num_layers} blocks')
            indices.append(index % num_layers)
        if len(set(indices)) != len(indices):
            raise ValueError(
                f'out_indices {list(out_indices)} repeats a block')
        # Levels come out in block order, as in the reference.
        return tuple(sorted(indices))

    def _init_default_weights(self) -> None:
        """DINOv2's initialisation (timm ViT rules for the linears)."""
        nn.init.trunc_normal_(self.pos_embed, std=0.02)
        nn.init.normal_(self.cls_token, std=1e-6)
        for module in self.blocks.modules():
            if isinstance(module, nn.Linear):
                nn.init.trunc_normal_(module.weight, std=0.02)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)

    def init_weights(self) -> None:
        """Loads a ``Pretrained`` init_cfg through layout detection.

        Other init_cfg entries go to MMEngine as usual, before the load.
        """
        cfgs = self.init_cfg
        if isinstance(cfgs, dict):
            cfgs = [cfgs]
        pretrained = [c for c in cfgs or [] if c.get('type') == 'Pretrained']
        if self.is_init or not pretrained:
            super().init_weights()
            return
        others = [c for c in cfgs if c.get('type') != 'Pretrained']
        original, self.init_cfg = self.init_cfg, others or None
        try:
            super().init_weights()
        finally:
            self.init_cfg = original
        for cfg in pretrained:
            prefix = cfg.get('prefix', 'backbone.')
            if prefix and not prefix.endswith('.'):
                prefix += '.'
            result = load_pretrained(self, cfg['checkpoint'],
                                     prefix_filter=prefix)
            self.check_checkpoint_arch(result.layout,
                                       repr(cfg['checkpoint']))

    def check_checkpoint_arch(self,
                              layout: str,
                              source: str,
                              logger: logging.Logger | str = 'current'
                              ) -> str | None:
        """Warns when weights of ``layout`` expect another final norm.

        Depth Anything 3's encoders were trained with a final LayerNorm of
        eps 1e-5 and no mask token; loaded into DINOv2's eps 1e-6 they load
        without an error and move every feature by ~3e-6 relative.

        Args:
            layout (str): The checkpoint's layout.
            source (str): The checkpoint's name, for the message.
            logger (logging.Logger | str): Where the warning goes.
                Defaults to the current MMEngine logger.

        Returns:
            str | None: The warning, or None when the arch fits.
        """
        expected = DA3_FINAL_NORM_EPS if layout == 'depth_anything_3' else None
        if expected is None or self.norm.eps == expected:
            return None
        message = (
            f'{source} is a Depth Anything 3 encoder (final LayerNorm eps '
            f'{expected}) but this DINOv2 uses eps {self.norm.eps}: set '
            "model.backbone.arch='da3-vitl' (or final_norm_eps=1e-5, "
            'mask_token=False in a custom arch dict)')
        print_log(message, logger, logging.WARNING)
        return message

    def holds_random_init(self) -> bool:
        """Whether the encoder still has the weights it was built with."""
        weight = self.patch_embed.proj.weight[0]
        return weight.device.type != 'meta' and torch.equal(
            weight.detach(), self.random_init_probe.to(weight.dtype))

    def train(self, mode: bool = True) -> 'DINOv2':
        """Sets training mode, except that a frozen encoder stays in eval.

        Training a model whose frozen encoder holds its random
        initialisation logs an unmissable warning (once) naming the weights
        to pass, unless ``allow_random_frozen``.
        """
        if (mode and self.frozen and not self.allow_random_frozen
                and not getattr(self, '_warned_random', False)
                and self.holds_random_init()):
            self._warned_random = True
            print_log(random_frozen_message(self.arch_name), 'current',
                      logging.WARNING)
        super().train(mode and not self.frozen)
        return self

    def _check_input_size(self, height: int, width: int) -> None:
        p = self.patch_size
        bad = [(name, size) for name, size in (('height', height),
                                               ('width', width)) if size % p]
        if not bad:
            return
        hints = '; '.join(
            f'{name} {size} -> '
            + ' or '.join(map(str, nearest_valid_sizes(size, p)))
            for name, size in bad)
        raise ValueError(
            f'DINOv2 needs an input whose height and width are multiples of '
            f'the patch size {p}, got {height}x{width}; nearest valid sizes: '
            f'{hints}')

    def forward(self, x: Tensor) -> tuple[tuple[Tensor, Tensor], ...]:
        """Encodes images.

        Args:
            x (Tensor): Normalised images (B, C, H, W), H and W multiples of
                the patch size.

        Returns:
            tuple[tuple[Tensor, Tensor], ...]: One ``(patch_map, cls_token)``
            per entry of ``out_indices``, in block order: ``patch_map``
            (B, D, H/p, W/p) and ``cls_token`` (B, D), both after ``norm``.
        """
        B, _, H, W = x.shape
        self._check_input_size(H, W)
        grid = (H // self.patch_size, W // self.patch_size)

        tokens = self.patch_embed(x)
        tokens = torch.cat([self.cls_token.expand(B, -1, -1), tokens], dim=1)
        tokens = tokens + POS_EMBED_RULES[self.pos_embed_rule](
            self.pos_embed, grid)

        use_cp = self.with_cp and self.training and torch.is_grad_enabled()
        outs = []
        # Blocks after the last requested one cannot change any output.
        for i, block in enumerate(self.blocks[:self.out_indices[-1] + 1]):
            if use_cp:
                tokens = checkpoint(block, tokens, use_reentrant=False)
            else:
                tokens = block(tokens)
            if i in self.out_indices:
                normed = self.norm(tokens)
                patch_map = normed[:, 1:].transpose(1, 2).reshape(
                    B, self.embed_dims, *grid)
                outs.append((patch_map, normed[:, 0]))
        return tuple(outs)
