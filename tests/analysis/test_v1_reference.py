"""da2zoe.analysis.v1_reference: the glue around a user's checkout of the
Depth Anything V1 code. The real checkout is not shipped, so a fake one
with the same module paths and signatures records what the glue passes;
the weight transfer runs on a tiny DPT + ZoeDepth model of ours."""
import os
import sys

import pytest
import torch
from mmengine.config import Config

from da2zoe.analysis import v1_reference as v1
from da2zoe.registry import MODELS

FAKE = {
    'dpt_dinov2/dpt.py': '''
import os
import torch
from torch import nn


class DPT_DINOv2(nn.Module):
    def __init__(self, encoder='vitl', features=256, use_bn=False,
                 out_channels=(256, 512, 1024, 1024), use_clstoken=False):
        super().__init__()
        torch.manual_seed(1)  # as the reference does
        # the reference's torch.hub.load path, relative to metric_depth/
        assert os.path.isfile(
            '../torchhub/facebookresearch_dinov2_main/hubconf.py')
        self.args = dict(encoder=encoder, features=features,
                         out_channels=out_channels)
''',
    'depth_anything.py': '''
from torch import nn


class DepthAnythingCore(nn.Module):
    def __init__(self, midas, trainable=False, fetch_features=True,
                 freeze_bn=False, keep_aspect_ratio=True, img_size=384):
        super().__init__()
        self.core, self.img_size = midas, img_size
        self.trainable = trainable
''',
}
ZOE = '''
from torch import nn


class ZoeDepth(nn.Module):
    def __init__(self, core, **kwargs):
        super().__init__()
        self.core, self.kwargs = core, kwargs
        self.output_channels = list(core.output_channels)

    def forward(self, x):
        return dict(metric_depth=x[:, :1])
'''


@pytest.fixture(scope='module')
def checkout(tmp_path_factory):
    root = tmp_path_factory.mktemp('Depth-Anything')
    models = root / 'metric_depth' / 'zoedepth' / 'models'
    files = {f'base_models/{k}': v for k, v in FAKE.items()}
    files['zoedepth/zoedepth_v1.py'] = ZOE
    for name, text in files.items():
        (models / name).parent.mkdir(parents=True, exist_ok=True)
        (models / name).write_text(text)
    for folder in (models, *models.rglob('*')):
        if folder.is_dir() or folder == models:
            (folder / '__init__.py').write_text('')
    # zoedepth/ itself has no __init__.py in the reference (namespace)
    hub = root / 'torchhub' / 'facebookresearch_dinov2_main'
    hub.mkdir(parents=True)
    (hub / 'hubconf.py').write_text('')
    yield str(root)
    for name in [m for m in sys.modules if m.split('.')[0] == 'zoedepth']:
        del sys.modules[name]
    sys.path.remove(str(root / 'metric_depth'))


def dpt_vits_model() -> dict:
    return Config.fromfile('configs/da2zoe-dpt_vits_nyu.py').model


def test_another_zoedepth_package_is_refused(checkout, tmp_path):
    v1.import_reference(checkout)
    other = tmp_path / 'metric_depth'
    other.mkdir()
    with pytest.raises(ImportError, match='already imported'):
        v1.import_reference(str(tmp_path))


def test_a_path_that_is_no_checkout_names_the_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match='zoedepth_v1.py'):
        v1.check_reference_path(str(tmp_path))


def test_reference_kwargs_from_the_dpt_config():
    model = dpt_vits_model()
    kwargs = v1.reference_kwargs(model.head, model.neck, model.backbone,
                                 'c.py')
    assert kwargs['encoder'] == 'vits' and kwargs['features'] == 64
    assert kwargs['out_channels'] == [48, 96, 192, 384]
    head = kwargs['head']
    assert head['n_attractors'] == [16, 8, 4, 1]
    assert (head['attractor_alpha'], head['min_temp']) == (1000.0, 0.0212)
    assert (head['attractor_type'], head['attractor_kind']) == ('inv',
                                                                'mean')


@pytest.mark.parametrize('edit, match', [
    (dict(neck=dict(type='FusionNeck')), 'DPTNeck \\+ ZoeDepthHead'),
    (dict(head=dict(bottleneck_channels=32)), 'head.bottleneck_channels'),
    (dict(head=dict(condition_on_rel_depth=False)),
     'head.condition_on_rel_depth'),
    (dict(neck=dict(head_activation='sigmoid')), 'neck.head_activation'),
])
def test_reference_kwargs_refuse_what_v1_cannot_express(edit, match):
    model = dpt_vits_model()
    for part, change in edit.items():
        model[part].update(change)
    with pytest.raises(ValueError, match=f'c.py: .*{match}'):
        v1.reference_kwargs(model.head, model.neck, model.backbone, 'c.py')


def test_build_reference_offline_from_a_checkout(checkout):
    model = dpt_vits_model()
    kwargs = v1.reference_kwargs(model.head, model.neck, model.backbone,
                                 'c.py')
    v1.import_reference(checkout)  # a second import finds the first
    cwd, rng = os.getcwd(), torch.get_rng_state()
    reference = v1.build_reference(v1.check_reference_path(checkout),
                                   kwargs, (28, 42))
    assert os.getcwd() == cwd
    assert torch.equal(torch.get_rng_state(), rng)  # manual_seed undone
    assert reference.core.core.args == dict(
        encoder='vits', features=64, out_channels=[48, 96, 192, 384])
    assert reference.core.img_size == [28, 42] and reference.core.trainable
    assert reference.output_channels == [64] * 5
    assert reference.kwargs == kwargs['head']
    mean, std = torch.rand(3, 1, 1), 0.5 + torch.rand(3, 1, 1)
    peer = v1.V1ReferencePeer(reference, mean, std)
    images = torch.rand(2, 3, 28, 42)
    # the reference is fed [0, 1] images: it normalises them itself
    out = peer((images - mean) / std)
    torch.testing.assert_close(out, images[:, :1])


TINY = dict(
    type='MetricDepther',
    backbone=dict(type='DINOv2', img_size=56, out_indices=4,
                  arch=dict(embed_dims=32, num_layers=4, num_heads=2)),
    neck=dict(type='DPTNeck', in_channels=32, features=16,
              out_channels=(8, 16, 24, 32), head_activation='relu'),
    head=dict(type='ZoeDepthHead', bottleneck_channels=16,
              level_channels=16, final_channels=32,
              condition_on_rel_depth=True, n_bins=8,
              n_attractors=[4, 2, 2, 1], attractor_kind='mean',
              attractor_strength_quirk=True, min_temp=0.0212,
              max_temp=50.0))
V1_NAMES = (('backbone.', 'core.core.pretrained.'),
            ('neck.', 'core.core.depth_head.'), ('head.', ''))


class V1Named(torch.nn.Module):
    """Our depther's weights under the reference's (V1 metric) names."""

    def __init__(self, depther, drop=()):
        super().__init__()
        self.state = {}
        for key, value in depther.state_dict().items():
            if key in drop:
                continue
            src, dst = next(r for r in V1_NAMES if key.startswith(r[0]))
            self.state[dst + key[len(src):]] = value

    def state_dict(self):
        return dict(self.state)


def test_reference_weights_make_ours_compute_the_same_function():
    torch.manual_seed(0)
    source = MODELS.build(TINY).eval()
    torch.manual_seed(1)
    ours = MODELS.build(TINY).eval()
    x = torch.randn(1, 3, 28, 42)
    with torch.no_grad():
        expected = source(x, mode='tensor')
        assert not torch.allclose(ours(x, mode='tensor'), expected)
        loaded = v1.load_reference_weights(ours, V1Named(source))
        torch.testing.assert_close(ours(x, mode='tensor'), expected,
                                   rtol=0, atol=0)
    assert loaded == len(source.state_dict())


def test_reference_weights_that_do_not_fit_are_named():
    depther = MODELS.build(TINY)
    key = next(k for k in depther.state_dict() if k.startswith('head.'))
    with pytest.raises(RuntimeError, match=f"missing \\['{key}'"):
        v1.load_reference_weights(depther, V1Named(depther, drop={key}))
