"""Parameter groups for an encoder-decoder depth model."""
import inspect
import logging
from collections import OrderedDict
from typing import Dict, List, Optional, Tuple

import torch.nn as nn
from mmengine.logging import print_log
from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapper

from da2zoe.registry import (
    OPTIM_WRAPPER_CONSTRUCTORS,
    OPTIM_WRAPPERS,
    OPTIMIZERS,
)

# Token parameters a ViT should not decay (besides 1-D norms and biases).
DEFAULT_NO_DECAY_KEYS = ('pos_embed', 'cls_token', 'register_tokens',
                         'mask_token')


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class DepthOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """Builds named ``encoder``/``decoder`` parameter groups.

    - ``encoder``: parameters under ``encoder_prefix`` (``backbone.``), at
      ``lr / encoder_lr_factor``;
    - ``decoder``: everything else (neck, head, learnable loss parameters),
      at ``lr``;
    - parameters with ``requires_grad=False`` (a frozen encoder) get no
      group, hence no optimiser state; their count is logged once.

    Optional: ``no_decay=True`` puts 1-D parameters (norm weights, biases,
    layer-scale gammas) and ``no_decay_keys`` (ViT ``pos_embed``,
    ``cls_token``, ...) into ``encoder.no_decay``/``decoder.no_decay`` groups
    with ``weight_decay=0``. Off by default, so AdamW decays everything like
    the seed.

    MMEngine's ``paramwise_cfg`` options (``custom_keys``, ``norm_decay_mult``,
    ``bias_decay_mult``, ``bias_lr_mult``, ...) still apply, through
    ``DefaultOptimWrapperConstructor``: only the longest custom key matching
    a parameter name applies to it; ``encoder_lr_factor`` then divides the lr
    of encoder parameters on top, and ``no_decay`` wins over any
    ``decay_mult``. A custom key's group is named
    ``<encoder|decoder>.<key>``. Groups with equal settings are merged, so the
    optimiser holds a handful of groups, each with a ``name`` (logged as
    ``<name>_lr`` by :class:`DepthOptimWrapper`).

    The wrapper type defaults to ``DepthOptimWrapper``.

    Example:
        >>> optim_wrapper = dict(
        ...     constructor='DepthOptimWrapperConstructor',
        ...     optimizer=dict(type='AdamW', lr=1.61e-4, weight_decay=1e-4),
        ...     paramwise_cfg=dict(encoder_lr_factor=10),
        ...     clip_grad=dict(max_norm=0.1))

    Args:
        optim_wrapper_cfg (dict): The optim wrapper config, with
            ``optimizer``.
        paramwise_cfg (dict, optional): MMEngine's options plus
            ``encoder_lr_factor`` (float > 0, default 1),
            ``encoder_prefix`` (str, default ``'backbone'``),
            ``no_decay`` (bool, default False) and ``no_decay_keys``
            (sequence of name fragments, default
            :data:`DEFAULT_NO_DECAY_KEYS`).
    """

    OWN_KEYS = ('encoder_lr_factor', 'encoder_prefix', 'no_decay',
                'no_decay_keys')

    def __init__(self,
                 optim_wrapper_cfg: dict,
                 paramwise_cfg: Optional[dict] = None) -> None:
        paramwise_cfg = dict(paramwise_cfg or {})
        self.encoder_lr_factor = float(
            paramwise_cfg.pop('encoder_lr_factor', 1.0))
        if not self.encoder_lr_factor > 0:
            raise ValueError('paramwise_cfg.encoder_lr_factor must be > 0, '
                             f'got {self.encoder_lr_factor}')
        self.encoder_prefix = str(
            paramwise_cfg.pop('encoder_prefix', 'backbone')).rstrip('.')
        self.no_decay = bool(paramwise_cfg.pop('no_decay', False))
        self.no_decay_keys = tuple(
            paramwise_cfg.pop('no_decay_keys', DEFAULT_NO_DECAY_KEYS))
        super().__init__(optim_wrapper_cfg, paramwise_cfg)
        custom_keys = self.paramwise_cfg.get('custom_keys', {})
        # Same order as DefaultOptimWrapperConstructor.add_params.
        self._sorted_custom_keys = sorted(
            sorted(custom_keys.keys()), key=len, reverse=True)
        self._frozen = 0

    def add_params(self,
                   params: List[dict],
                   module: nn.Module,
                   prefix: str = '',
                   is_dcn_module=None) -> None:
        """Skips fully frozen sub-trees silently; else as MMEngine."""
        if not any(p.requires_grad for p in module.parameters()):
            self._frozen += sum(1 for _ in module.parameters())
            return
        super().add_params(params, module, prefix, is_dcn_module)

    def _role(self, name: str) -> str:
        prefix = self.encoder_prefix + '.'
        return 'encoder' if name.startswith(prefix) else 'decoder'

    def _custom_key(self, name: str) -> Optional[str]:
        for key in self._sorted_custom_keys:
            if key in name:
                return key
        return None

    def _is_no_decay(self, name: str, ndim: int) -> bool:
        return ndim <= 1 or any(k in name for k in self.no_decay_keys)

    def _name_and_settings(self, name: str, group: dict,
                           ndim: int) -> Tuple[str, dict]:
        role = self._role(name)
        settings = {k: v for k, v in group.items() if k != 'params'}
        if role == 'encoder' and self.encoder_lr_factor != 1:
            lr = settings.get('lr', self.base_lr)
            if lr is None:
                raise ValueError('encoder_lr_factor needs optimizer.lr')
            settings['lr'] = lr / self.encoder_lr_factor
        group_name = role
        key = self._custom_key(name)
        if key is not None:
            group_name += f'.{key}'
        if self.no_decay and self._is_no_decay(name, ndim):
            settings['weight_decay'] = 0.0
            group_name += '.no_decay'
        return group_name, settings

    def build_param_groups(self, model: nn.Module) -> List[dict]:
        """The merged, named parameter groups of ``model``.

        Args:
            model (nn.Module): The model (unwrapped).

        Returns:
            list[dict]: Groups with ``name``, ``params`` and settings.
        """
        self._frozen = 0
        names = {id(p): n for n, p in model.named_parameters()}
        per_param: List[dict] = []
        self.add_params(per_param, model)
        merged: Dict[tuple, dict] = OrderedDict()
        for group in per_param:
            (param, ) = group['params']
            group_name, settings = self._name_and_settings(
                names[id(param)], group, param.ndim)
            key = (group_name, tuple(sorted(settings.items(), key=str)))
            if key not in merged:
                merged[key] = dict(name=group_name, params=[], **settings)
            merged[key]['params'].append(param)
        groups = list(merged.values())
        self._disambiguate(groups)
        self._log_groups(groups)
        return groups

    @staticmethod
    def _disambiguate(groups: List[dict]) -> None:
        # Same name with other settings (e.g. norm_decay_mult): number them.
        seen: Dict[str, int] = {}
        for group in groups:
            count = seen.get(group['name'], 0)
            seen[group['name']] = count + 1
            if count:
                group['name'] = f'{group["name"]}.{count}'

    def _log_groups(self, groups: List[dict]) -> None:
        defaults = dict(lr=self.base_lr, weight_decay=self.base_wd)
        lines = []
        for group in groups:
            numel = sum(p.numel() for p in group['params'])
            settings = dict(
                defaults, **{
                    k: v
                    for k, v in group.items() if k not in ('params', 'name')
                })
            text = ', '.join(
                f'{k}={v:g}' if isinstance(v, float) else f'{k}={v}'
                for k, v in settings.items())
            lines.append(f'{group["name"]}: {len(group["params"])} tensors, '
                         f'{numel:,} parameters, {text}')
        if self._frozen:
            lines.append(f'frozen (requires_grad=False, not optimised): '
                         f'{self._frozen} tensors')
        print_log(
            'parameter groups:\n  ' + '\n  '.join(lines),
            logger='current',
            level=logging.INFO)

    def __call__(self, model: nn.Module) -> OptimWrapper:
        if hasattr(model, 'module'):
            model = model.module
        optim_wrapper_cfg = self.optim_wrapper_cfg.copy()
        optim_wrapper_cfg.setdefault('type', 'DepthOptimWrapper')
        optimizer_cfg = self.optimizer_cfg.copy()
        optimizer_cls = optimizer_cfg['type']
        if isinstance(optimizer_cls, str):
            optimizer_cls = OPTIMIZERS.get(optimizer_cls)
            if optimizer_cls is None:
                raise KeyError(
                    f'optimizer {optimizer_cfg["type"]!r} is not registered')
        first_arg = next(iter(inspect.signature(optimizer_cls).parameters))
        optimizer_cfg[first_arg] = self.build_param_groups(model)
        optimizer = OPTIMIZERS.build(optimizer_cfg)
        return OPTIM_WRAPPERS.build(
            optim_wrapper_cfg, default_args=dict(optimizer=optimizer))
