"""A colour bar drawn inside a picture, so the picture keeps its size."""
from typing import Optional

import cv2
import numpy as np

from .colorize import colormap_lut

MIN_WIDTH_FOR_BAR = 48
WHITE = (255, 255, 255)


def _label(value: float, unit: str) -> str:
    return f'{value:.3g}{unit}'


def draw_colorbar(image: np.ndarray,
                  vmin: float,
                  vmax: float,
                  cmap: str = 'turbo',
                  unit: str = ' m',
                  height_fraction: float = 0.6) -> np.ndarray:
    """Draws a vertical colour bar with its range at the right edge.

    The bar (``vmax`` at the top) sits on a darkened backing near the right
    border, with ``vmax`` and ``vmin`` written above and below it. Pictures
    narrower than 48 or lower than 32 pixels are returned unchanged.

    Args:
        image (np.ndarray): HxWx3 uint8 RGB picture; not modified.
        vmin (float): Value of the bar's bottom.
        vmax (float): Value of the bar's top.
        cmap (str): Colormap of the picture. Defaults to ``'turbo'``.
        unit (str): Appended to the labels. Defaults to ``' m'``.
        height_fraction (float): Bar height over picture height.
            Defaults to 0.6.

    Returns:
        np.ndarray: A copy of ``image`` with the bar.
    """
    out = image.copy()
    height, width = out.shape[:2]
    if width < MIN_WIDTH_FOR_BAR or height < 32:
        return out
    font_scale = float(np.clip(height / 800, 0.3, 1.0))
    thickness = 1 if font_scale < 0.6 else 2
    labels = [_label(vmax, unit), _label(vmin, unit)]
    (text_w, text_h), _ = cv2.getTextSize(
        max(labels, key=len), cv2.FONT_HERSHEY_SIMPLEX, font_scale, thickness)
    bar_w = max(6, width // 40)
    bar_h = max(8, int(height * height_fraction) - 2 * (text_h + 6))
    right = width - 4
    top = (height - bar_h) // 2
    box_left = max(0, right - max(bar_w, text_w) - 8)
    box_top = max(0, top - text_h - 10)
    box_bottom = min(height, top + bar_h + text_h + 10)
    backing = out[box_top:box_bottom, box_left:right]
    out[box_top:box_bottom, box_left:right] = (backing * 0.35).astype(
        np.uint8)
    ramp = colormap_lut(cmap)[np.linspace(255, 0, bar_h).astype(np.uint8)]
    bar_left = right - 4 - bar_w
    out[top:top + bar_h, bar_left:bar_left + bar_w] = ramp[:, None]
    text_left = max(box_left + 2, right - 4 - text_w)
    for text, baseline in zip(labels, (top - 4, top + bar_h + text_h + 4)):
        cv2.putText(out, text, (text_left, baseline),
                    cv2.FONT_HERSHEY_SIMPLEX, font_scale, WHITE, thickness,
                    cv2.LINE_AA)
    return out


def label_panel(image: np.ndarray, text: Optional[str]) -> np.ndarray:
    """Writes a short title at the top-left corner of a copy of ``image``."""
    out = image.copy()
    if not text or out.shape[0] < 24:
        return out
    font_scale = float(np.clip(out.shape[0] / 600, 0.35, 1.0))
    origin = (4, int(18 * font_scale) + 6)
    # A dark outline under white text reads on any background.
    for color, thickness in (((0, 0, 0), 3), (WHITE, 1)):
        cv2.putText(out, text, origin, cv2.FONT_HERSHEY_SIMPLEX, font_scale,
                    color, thickness, cv2.LINE_AA)
    return out
