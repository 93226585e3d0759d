"""Reading data samples as metrics receive them."""
from typing import Any, Mapping, Union

import torch
from mmengine.structures import BaseDataElement


def sample_to_dict(sample: Union[BaseDataElement, Mapping]) -> Mapping:
    """The flat dict form of a data sample.

    MMEngine's ``Evaluator.process`` passes ``DepthDataSample.to_dict()``
    (metainfo and data fields in one dict); metrics called directly may get
    the data sample itself.

    Args:
        sample (BaseDataElement | Mapping): One data sample.

    Returns:
        Mapping: Field and metainfo names to values.
    """
    if isinstance(sample, BaseDataElement):
        return sample.to_dict()
    return sample


def as_image(value: Any) -> torch.Tensor:
    """A single-image map as an (H, W) tensor.

    Args:
        value (Tensor | ndarray): (H, W), (1, H, W) or (1, 1, H, W).

    Returns:
        Tensor: (H, W), same device and dtype.
    """
    value = torch.as_tensor(value)
    return value.reshape(value.shape[-2:])


def is_pair_sample(sample: Mapping) -> bool:
    """Whether a sample carries ordinal point pairs (DA-2K) to evaluate.

    Pair samples have no dense ground truth; dense samples have no pairs
    (or an empty (0, 4) array). One evaluator list can then hold both
    ``DepthMetric`` and ``DA2KMetric``: each takes its own kind of sample.

    Args:
        sample (Mapping): The flat dict form of a data sample.
    """
    pairs = sample.get('pairs')
    return pairs is not None and len(pairs) > 0
