"""Depth Anything V1's metric code as a peer of our DPT + ZoeDepth configs.

The peer is imported at run time from the user's checkout of
https://github.com/LiheYoung/Depth-Anything (its ``metric_depth/zoedepth``
package and the DINOv2 hub code under ``torchhub/``); nothing of it is
shipped here. It is built offline with random weights: ``DPT_DINOv2`` loads
DINOv2 with ``torch.hub.load(..., source='local', pretrained=False)`` from a
path relative to ``metric_depth/`` (so the build runs there), and
``DepthAnythingCore.build``, which would read a vitl checkpoint from
``./checkpoints``, is bypassed by assembling the same parts directly with
the widths of our config. The reference's random weights are then loaded
into OUR model through the V1 metric checkpoint converter
(:func:`~da2zoe.checkpoint.layouts.convert_state_dict`), so both compute the
same function and their outputs are compared as the check.
"""
import contextlib
import importlib
import os.path as osp
import sys
from collections.abc import Mapping
from types import ModuleType

import torch
from torch import Tensor, nn

from da2zoe.checkpoint.layouts import convert_state_dict

# Files whose absence means DIR is not a Depth Anything (V1) checkout.
REFERENCE_FILES = (
    'metric_depth/zoedepth/models/zoedepth/zoedepth_v1.py',
    'metric_depth/zoedepth/models/base_models/depth_anything.py',
    'metric_depth/zoedepth/models/base_models/dpt_dinov2/dpt.py',
    'torchhub/facebookresearch_dinov2_main/hubconf.py',
)
# Our ZoeDepthHead argument -> V1 ZoeDepth argument (same meaning).
HEAD_ARGS = ('n_bins', 'bin_centers_type', 'bin_embedding_dim', 'min_depth',
             'max_depth', 'n_attractors', 'attractor_alpha',
             'attractor_gamma', 'attractor_kind', 'attractor_type',
             'min_temp', 'max_temp')
# What V1's ZoeDepth hard-codes: our head must say the same.
V1_FIXED = dict(final_channels=32, condition_on_rel_depth=True,
                attractor_strength_quirk=True)


def check_reference_path(path: str) -> str:
    """The absolute checkout path, or an error naming what is missing.

    Args:
        path (str): The user's checkout of LiheYoung/Depth-Anything.

    Returns:
        str: ``path``, absolute.

    Raises:
        FileNotFoundError: Naming the first missing file.
    """
    path = osp.abspath(osp.expanduser(path))
    for name in REFERENCE_FILES:
        if not osp.isfile(osp.join(path, name)):
            raise FileNotFoundError(
                f'--reference-path {path}: no {name}; pass a checkout of '
                'https://github.com/LiheYoung/Depth-Anything')
    return path


def import_reference(path: str) -> dict[str, ModuleType]:
    """Imports the reference's model modules from ``path/metric_depth``.

    Args:
        path (str): A checked reference checkout
            (:func:`check_reference_path`).

    Returns:
        dict[str, ModuleType]: ``dpt``, ``core`` and ``zoedepth`` modules.

    Raises:
        ImportError: If another ``zoedepth`` package is already imported.
    """
    root = osp.join(path, 'metric_depth')
    loaded = sys.modules.get('zoedepth')
    # The reference's zoedepth is a namespace package (no __init__.py).
    where = [osp.abspath(p) for p in getattr(loaded, '__path__', [])]
    if loaded is not None and not any(p.startswith(root) for p in where):
        raise ImportError(f'a zoedepth package is already imported from '
                          f'{where}, not from {root}')
    if root not in sys.path:
        sys.path.insert(0, root)
    base = 'zoedepth.models.'
    return dict(
        dpt=importlib.import_module(base + 'base_models.dpt_dinov2.dpt'),
        core=importlib.import_module(base + 'base_models.depth_anything'),
        zoedepth=importlib.import_module(base + 'zoedepth.zoedepth_v1'))


def reference_kwargs(head: Mapping, neck: Mapping, backbone: Mapping,
                     config: str) -> dict:
    """The reference's build arguments for our config's model.

    Args:
        head (Mapping): ``model.head`` of the config (a ZoeDepthHead).
        neck (Mapping): ``model.neck`` (a DPTNeck).
        backbone (Mapping): ``model.backbone`` (a DINOv2).
        config (str): The config file, for messages.

    Returns:
        dict: ``encoder``, ``features``, ``out_channels`` and ``head``
        (ZoeDepth keyword arguments).

    Raises:
        ValueError: Naming the config key the reference cannot express.
    """
    if head.get('type') != 'ZoeDepthHead' or neck.get('type') != 'DPTNeck':
        raise ValueError(
            f'{config}: --compare v1-reference needs a DPTNeck + '
            f"ZoeDepthHead config (got {neck.get('type')} + "
            f"{head.get('type')}); use configs/da2zoe-dpt_vits_nyu.py")
    features = neck.get('features', 256)
    for key, value in dict(V1_FIXED, bottleneck_channels=features,
                           level_channels=features).items():
        if head.get(key) != value:
            raise ValueError(
                f'{config}: model.head.{key}={head.get(key)!r}; the V1 '
                f'reference has {value!r}')
    if neck.get('head_activation', 'relu') != 'relu':
        raise ValueError(f'{config}: model.neck.head_activation must be '
                         "'relu' (V1's relative depth)")
    arch = backbone.get('arch')
    if arch not in ('vits', 'vitb', 'vitl', 'vitg'):
        raise ValueError(f'{config}: model.backbone.arch={arch!r}; the '
                         'reference builds vits / vitb / vitl / vitg')
    return dict(encoder=arch, features=features,
                out_channels=list(neck.get('out_channels')),
                head={k: head[k] for k in HEAD_ARGS if k in head})


def build_reference(path: str, kwargs: dict, size: tuple[int, int]
                    ) -> nn.Module:
    """V1's ``ZoeDepth`` on ``DPT_DINOv2``, random weights, offline.

    Args:
        path (str): A checked reference checkout.
        kwargs (dict): :func:`reference_kwargs`.
        size (tuple[int, int]): The input size (H, W): the reference resizes
            every input to its ``img_size`` first (a no-op size here).

    Returns:
        nn.Module: The reference ``ZoeDepth`` (trainable core).
    """
    modules = import_reference(path)
    rng = torch.get_rng_state()  # DPT_DINOv2 calls torch.manual_seed(1)
    with contextlib.chdir(osp.join(path, 'metric_depth')):
        dpt = modules['dpt'].DPT_DINOv2(
            encoder=kwargs['encoder'], features=kwargs['features'],
            out_channels=kwargs['out_channels'], use_clstoken=False)
    torch.set_rng_state(rng)
    core = modules['core'].DepthAnythingCore(
        dpt, trainable=True, fetch_features=True, freeze_bn=True,
        img_size=list(size), keep_aspect_ratio=False)
    core.output_channels = [kwargs['features']] * 5  # set_output_channels
    return modules['zoedepth'].ZoeDepth(core, **kwargs['head'])


class V1ReferencePeer(nn.Module):
    """The reference as ``normalised inputs -> (B, 1, H, W)`` metric depth.

    Args:
        reference (nn.Module): :func:`build_reference`.
        mean (Tensor): Our preprocessor's mean (3, 1, 1), images in [0, 1].
        std (Tensor): Its std: the reference normalises [0, 1] images
            itself with the same ImageNet values.
    """

    def __init__(self, reference: nn.Module, mean: Tensor,
                 std: Tensor) -> None:
        super().__init__()
        self.reference = reference
        self.register_buffer('mean', mean.detach().clone(), persistent=False)
        self.register_buffer('std', std.detach().clone(), persistent=False)

    def forward(self, inputs: Tensor) -> Tensor:
        return self.reference(inputs * self.std + self.mean)['metric_depth']


def load_reference_weights(depther: nn.Module,
                           reference: nn.Module) -> int:
    """Loads the reference's weights into ours through the V1 converter.

    Args:
        depther (nn.Module): Our MetricDepther (same widths).
        reference (nn.Module): The reference ZoeDepth.

    Returns:
        int: How many tensors were loaded.

    Raises:
        RuntimeError: Naming the keys that do not match.
    """
    state, layout, _ = convert_state_dict(reference.state_dict())
    if layout != 'depth_anything_v1_metric':
        raise RuntimeError(f'the reference state dict reads as {layout!r}, '
                           'not depth_anything_v1_metric')
    if 'backbone.mask_token' not in depther.state_dict():
        state.pop('backbone.mask_token', None)  # unused by either forward
    missing, unexpected = depther.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise RuntimeError(f'reference -> ours: missing {missing[:5]}, '
                           f'unexpected {unexpected[:5]}')
    return len(state)
