"""A preprocessed training batch made of random images and smooth random
ground truth, for measurements that need a model's loss but no dataset."""
import torch

from da2zoe.structures import DepthDataSample


def synthetic_batch(model: torch.nn.Module, batch_size: int, size: tuple,
                    device: torch.device) -> tuple:
    """Random uint8 images through the model's preprocessor, with smooth
    random ground truth in the head's depth range and a full mask.

    Args:
        model (nn.Module): A depther with ``data_preprocessor``,
            ``min_depth`` and ``max_depth``.
        batch_size (int): Images.
        size (tuple): (H, W) of each image.
        device (torch.device): Where the ground truth goes.

    Returns:
        tuple: ``(inputs, data_samples)`` as ``model.loss`` takes them.
    """
    gen = torch.Generator().manual_seed(0)
    h, w = size
    images = torch.randint(0, 256, (batch_size, 3, h, w), generator=gen,
                           dtype=torch.uint8)
    samples = []
    lo, hi = model.min_depth, model.max_depth
    for _ in range(batch_size):
        coarse = torch.rand(1, 1, 8, 8, generator=gen)
        depth = torch.nn.functional.interpolate(
            coarse, size=(h, w), mode='bilinear', align_corners=False)[0]
        depth = lo + (0.1 + 0.8 * depth) * (hi - lo)
        sample = DepthDataSample(metainfo=dict(ori_shape=(h, w)))
        sample.gt_depth = depth
        sample.gt_mask = torch.ones(1, h, w, dtype=torch.bool)
        samples.append(sample)
    data = model.data_preprocessor(
        dict(inputs=list(images), data_samples=samples), True)
    for sample in data['data_samples']:
        sample.gt_depth = sample.gt_depth.to(device)
        sample.gt_mask = sample.gt_mask.to(device)
    return data['inputs'], data['data_samples']
