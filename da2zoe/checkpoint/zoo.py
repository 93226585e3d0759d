"""Which published weights initialise which encoder (the model zoo)."""

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
