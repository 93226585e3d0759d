"""Which published weights initialise which encoder (the model zoo)."""
import os.path as osp

# arch -> (official DA-V2 file, Hugging Face repo); the README's zoo table.
ENCODER_WEIGHTS = {
    'vits': ('depth_anything_v2_vits.pth',
             'depth-anything/Depth-Anything-V2-Small-hf'),
    'vitb': ('depth_anything_v2_vitb.pth',
             'depth-anything/Depth-Anything-V2-Base-hf'),
    'vitl': ('depth_anything_v2_vitl.pth',
             'depth-anything/Depth-Anything-V2-Large-hf'),
    'vitg': ('dinov2_vitg14_pretrain.pth', 'facebook/dinov2-giant'),
    'da3-vitl': ('model.safetensors', 'depth-anything/DA3METRIC-LARGE'),
}

_V1_METRIC = ('https://huggingface.co/spaces/LiheYoung/Depth-Anything/tree/'
              'main/checkpoints_metric_depth')
_SIZES = dict(vits='Small', vitb='Base', vitl='Large')
# Official file name -> where to get it (named when the file is missing).
OFFICIAL_FILES = {
    'depth_anything_metric_depth_indoor.pt': _V1_METRIC,
    'depth_anything_metric_depth_outdoor.pt': _V1_METRIC,
    'dinov2_vitg14_pretrain.pth': 'hf://facebook/dinov2-giant (the '
    'transformers form of the same weights)',
    **{f'depth_anything_v2_{arch}.pth':
       f'hf://depth-anything/Depth-Anything-V2-{size}/'
       f'depth_anything_v2_{arch}.pth' for arch, size in _SIZES.items()},
    **{f'depth_anything_v2_metric_{data}_{arch}.pth':
       f'hf://depth-anything/Depth-Anything-V2-Metric-{repo}-{size}/'
       f'depth_anything_v2_metric_{data}_{arch}.pth'
       for arch, size in _SIZES.items()
       for data, repo in (('hypersim', 'Hypersim'), ('vkitti', 'VKITTI'))},
}


def where_to_get(path: str) -> str:
    """A hint naming where an official checkpoint file can be fetched.

    Args:
        path (str): The missing file's path.

    Returns:
        str: `` Get it from ...`` for a known official file name, else ''.
    """
    source = OFFICIAL_FILES.get(osp.basename(path))
    if source is None:
        return ''
    return (f' It is an official checkpoint: get it from {source} and pass '
            'its path (--pretrained-checkpoint PATH, or --cfg-options '
            '[model.|model.backbone.]init_cfg.checkpoint=PATH).')


def random_frozen_message(arch: str) -> str:
    """The warning for a frozen encoder that got no pretrained weights.

    Args:
        arch (str): The encoder's arch name (``'custom'`` for a dict).

    Returns:
        str: A banner naming the weights to pass and the opt-out.
    """
    file, repo = ENCODER_WEIGHTS.get(arch, ENCODER_WEIGHTS['vitl'])
    bar = '!' * 78
    return (
        f'\n{bar}\nThe encoder is FROZEN but holds its RANDOM '
        'initialisation: no pretrained weights reached it, so the head is '
        'being trained on random features. Pass weights, e.g.\n'
        f'  --pretrained-checkpoint {file}\n'
        f'  --pretrained-checkpoint hf://{repo}\n'
        "  (or model.backbone.init_cfg=dict(type='Pretrained', "
        f"checkpoint='{file}')),\n"
        'train the encoder (--train-encoder), or set '
        'model.backbone.allow_random_frozen=True if this is on purpose.\n'
        f'{bar}')
