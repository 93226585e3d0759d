"""Depth colouring and the depth visualizer (its hook is in da2zoe.engine)."""
from .anaglyph import anaglyph_from_depth
from .colorbar import draw_colorbar
from .colorize import (
    abs_rel_error_map,
    colorize_depth,
    colorize_error,
    depth_range,
)
from .depth_visualizer import DepthVisualizer, make_depth_panels
from .error_map import error_map_picture
from .model_panel import model_panels
from .overlay import overlay_depth

__all__ = [
    'abs_rel_error_map', 'colorize_depth', 'colorize_error', 'depth_range',
    'draw_colorbar', 'DepthVisualizer', 'make_depth_panels',
    'anaglyph_from_depth', 'error_map_picture', 'model_panels',
    'overlay_depth'
]
