"""da2zoe: metric monocular depth with a DINOv2 encoder and a ZoeDepth head."""
from .version import __version__

__all__ = ['__version__']
