"""The colour bar of the depth picture as HTML: a gradient with ticks in
metres, sharp at any zoom and readable by a screen reader or a test."""
import math
from typing import List

from da2zoe.visualization.colorize import colormap_lut

GRADIENT_STOPS = 17


def nice_ticks(vmin: float, vmax: float, target: int = 6) -> List[float]:
    """Round values (1, 2 or 5 times a power of ten apart) in
    ``[vmin, vmax]``: the spacing whose count is closest to ``target``,
    with at least three ticks.

    Args:
        vmin (float): Low end.
        vmax (float): High end, above ``vmin``.
        target (int): Roughly how many ticks. Defaults to 6.

    Returns:
        list[float]: Increasing, evenly spaced tick values.
    """
    if not vmax > vmin:
        raise ValueError(f'vmax ({vmax}) must exceed vmin ({vmin})')
    power = math.floor(math.log10((vmax - vmin) / max(target - 1, 1)))
    steps = [m * 10.0**p for p in range(power - 2, power + 2)
             for m in (1, 2, 5)]

    def first_last(step: float) -> tuple:
        return (math.ceil(vmin / step - 1e-9),
                math.floor(vmax / step + 1e-9))

    def count(step: float) -> int:
        first, last = first_last(step)
        return last - first + 1

    # Closest to the target; among equals the coarser spacing.
    step = min((s for s in steps if count(s) >= 3),
               key=lambda s: (abs(count(s) - target), -s))
    first, last = first_last(step)
    return [round(i * step, 10) for i in range(first, last + 1)]


def _format(value: float) -> str:
    return f'{value:g}'


def colorbar_html(vmin: float, vmax: float, cmap: str = 'turbo',
                  quantity: str = 'depth (m)') -> str:
    """A horizontal colour bar from ``vmin`` (left) to ``vmax`` metres.

    Args:
        vmin (float): Depth of the left end, metres.
        vmax (float): Depth of the right end, metres.
        cmap (str): The depth picture's colormap. Defaults to ``'turbo'``.
        quantity (str): The caption. Defaults to ``'depth (m)'`` (a
            relative model's: ``'disparity (unitless)'``).

    Returns:
        str: A ``<div id="depth-colorbar">`` carrying ``data-vmin`` and
        ``data-vmax``; each tick is a ``<span class="tick">``.
    """
    lut = colormap_lut(cmap)
    stops = ', '.join(
        f'rgb({r},{g},{b}) {100 * i / (GRADIENT_STOPS - 1):.1f}%'
        for i, (r, g, b) in enumerate(
            lut[[round(255 * i / (GRADIENT_STOPS - 1))
                 for i in range(GRADIENT_STOPS)]].tolist()))
    ticks = ''.join(
        f'<span class="tick" data-value="{_format(t)}" style="position:'
        f'absolute;left:{100 * (t - vmin) / (vmax - vmin):.2f}%;transform:'
        f'translateX(-50%)">{_format(t)}</span>'
        for t in nice_ticks(vmin, vmax))
    return (
        f'<div id="depth-colorbar" data-vmin="{vmin:.4g}" '
        f'data-vmax="{vmax:.4g}" role="img" aria-label="depth colour scale '
        f'from {vmin:.3g} to {vmax:.3g}, {quantity}" style="margin:4px 12px">'
        f'<div style="height:16px;border-radius:3px;background:'
        f'linear-gradient(to right, {stops})"></div>'
        f'<div style="position:relative;height:18px;font-size:12px">{ticks}'
        f'</div><div style="text-align:center;font-size:12px">{quantity}'
        '</div></div>')
