"""Depth datasets, the codecs of their on-disk depth formats and depth-aware
transforms."""
from .bad_sample import BadSampleError
from .base_depth_dataset import BaseDepthDataset
from .codecs import DEPTH_DECODERS
from .da2k import DA2KDataset
from .dataset_mix import DepthConcatDataset
from .depth_folder import DepthFolderDataset
from .ibims import IBimsDataset
from .kitti import KITTIDataset
from .nyu import NYUCSVDataset, NYUSplitDataset
from .seed_datasets import build_seed_datasets
from .sunrgbd import SUNRGBDDataset
from .transforms import *  # noqa: F401,F403

__all__ = [
    'BadSampleError', 'BaseDepthDataset', 'DA2KDataset', 'DepthConcatDataset',
    'DEPTH_DECODERS', 'DepthFolderDataset', 'IBimsDataset', 'KITTIDataset',
    'NYUCSVDataset', 'NYUSplitDataset', 'SUNRGBDDataset', 'build_seed_datasets'
]
