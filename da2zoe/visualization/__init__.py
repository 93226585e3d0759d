"""Depth colouring and the depth visualizer (its hook is in da2zoe.engine)."""
from .colorbar import draw_colorbar
from .colorize import (
    abs_rel_error_map,
    colorize_depth,
    colorize_error,
    depth_range,
)
from .depth_visualizer import DepthVisualizer, make_depth_panels

__all__ = [
    'abs_rel_error_map', 'colorize_depth', 'colorize_error', 'depth_range',
    'draw_colorbar', 'DepthVisualizer', 'make_depth_panels'
]
