"""Test data made at test time: procedural rooms with exact metric depth
(:mod:`.synthetic_scenes`) written in every on-disk dataset format through the
depth codecs (:mod:`.synthetic_datasets`), for the demo, the tools and the
tests. The data path (``da2zoe.datasets``) never imports this package."""
from .synthetic_datasets import FORMATS, KITTI_DEFAULT_SIZE, write_synthetic
from .synthetic_scenes import SyntheticScene, render_scene

__all__ = [
    'FORMATS', 'KITTI_DEFAULT_SIZE', 'SyntheticScene', 'render_scene',
    'write_synthetic'
]
