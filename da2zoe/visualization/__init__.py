"""Depth colouring, the depth visualizer and its hook."""
from .colorbar import draw_colorbar
from .colorize import (abs_rel_error_map, colorize_depth, colorize_error,
                       depth_range)
from .depth_visualization_hook import DepthVisualizationHook
from .depth_visualizer import DepthVisualizer, make_depth_panels

__all__ = [
    'abs_rel_error_map', 'colorize_depth', 'colorize_error', 'depth_range',
    'draw_colorbar', 'DepthVisualizationHook', 'DepthVisualizer',
    'make_depth_panels'
]
