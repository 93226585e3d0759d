"""One source of initial weights per run: the user's beats the config's.

The zoo configs name their published weights in ``init_cfg`` (``hf://``
repos or official file names). A run that brings its own weights
(``--pretrained-checkpoint`` / ``model.pretrained``, ``load_from``, a resume)
does not need them: they are dropped, so such a run neither downloads nor
asks for files it would overwrite at once.
"""
from typing import List, Optional

from mmengine.config import Config

from da2zoe.checkpoint import random_frozen_message

PRETRAINED = 'Pretrained'


def _drop_pretrained(part: Optional[dict]) -> List[str]:
    """Removes ``Pretrained`` entries of ``part.init_cfg``; returns them."""
    if not part or not part.get('init_cfg'):
        return []
    cfgs = part.init_cfg
    listed = [cfgs] if isinstance(cfgs, dict) else list(cfgs)
    dropped = [str(c.get('checkpoint')) for c in listed
               if c.get('type') == PRETRAINED]
    if dropped:
        kept = [c for c in listed if c.get('type') != PRETRAINED]
        part.init_cfg = kept or None
    return dropped


def drop_config_weights(cfg: Config) -> Optional[str]:
    """Drops the config's ``Pretrained`` init_cfg when the run has weights.

    Args:
        cfg (Config): The resolved config (flags applied).

    Returns:
        str | None: What replaced what (for the start-up summary), or None
        when the config's weights stay.
    """
    source = cfg.model.get('pretrained') or cfg.get('load_from')
    if not source:
        return None
    dropped = _drop_pretrained(cfg.model) + _drop_pretrained(
        cfg.model.get('backbone'))
    if not dropped:
        return None
    return f"{', '.join(dropped)} replaced by {source}"


def _pretrained_specs(part: Optional[dict]) -> List[str]:
    cfgs = (part or {}).get('init_cfg') or []
    listed = [cfgs] if isinstance(cfgs, dict) else list(cfgs)
    return [str(c.get('checkpoint')) for c in listed
            if c.get('type') == PRETRAINED]


def weight_lines(cfg: Config) -> List[str]:
    """Start-up summary lines on where the weights come from.

    Args:
        cfg (Config): The resolved config.

    Returns:
        list[str]: ``weights: ...`` lines, ending with the
        random-frozen-encoder banner when a frozen encoder will get no
        weights from the config (a resumed or ``load_from`` run has them).
    """
    model, backbone = cfg.model, cfg.model.get('backbone') or {}
    lines = [f'weights: {spec} (whole model)'
             for spec in _pretrained_specs(model)]
    if model.get('pretrained'):
        lines.append(f'weights: {model.pretrained} (whole model)')
    lines += [f'weights: {spec} (encoder)'
              for spec in _pretrained_specs(backbone)]
    if cfg.get('load_from'):
        lines.append(f'weights: {cfg.load_from} (load_from / resume)')
    if (not lines and backbone.get('frozen', False)
            and not backbone.get('allow_random_frozen', False)):
        arch = backbone.get('arch', 'vitl')
        lines.append(random_frozen_message(
            arch if isinstance(arch, str) else 'custom').strip('\n'))
    return lines
