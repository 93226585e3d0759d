"""Inference API: build a model from a config and predict metric depth."""
from .inference import inference, init_model
from .preprocess import ImageReadError, read_image, to_rgb

__all__ = [
    'init_model', 'inference', 'ImageReadError', 'read_image', 'to_rgb'
]
