"""The web demo with a Depth Anything 3 metric config: its own resize
(longest side), and the page's camera scales the metric depth."""
from pathlib import Path

import numpy as np
import PIL.Image
import pytest
from mmengine.config import Config

from da2zoe.apis import inference, init_model
from da2zoe.structures.camera import intrinsics_from_hfov
from da2zoe.testing import render_scene
from da2zoe.testing.da3_snapshot import (
    TINY_DA3_BACKBONE,
    TINY_DA3_HEAD,
    write_tiny_da3_snapshot,
)
from da2zoe.webui import DepthDemo, UploadError, View
from da2zoe.webui.app import build_app

CONFIG = Path(__file__).resolve().parents[2] / 'configs/da3/da3metric-large.py'


@pytest.fixture(scope='module')
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp('da3_demo')
    cfg = Config.fromfile(str(CONFIG))
    cfg.model.backbone.arch = dict(TINY_DA3_BACKBONE['arch'])
    cfg.model.head.update(
        {k: v for k, v in TINY_DA3_HEAD.items() if k != 'type'})
    cfg.model.init_cfg = None
    for transform in cfg.test_pipeline:
        if transform['type'] == 'LongestSideResize':
            transform['process_res'] = 126
    path = root / 'tiny_da3.py'
    cfg.dump(str(path))
    snapshot = write_tiny_da3_snapshot(root / 'snap', seed=6)
    return DepthDemo(init_model(str(path), snapshot), str(root / 'renders'))


def test_the_demo_resizes_as_da3_and_uses_the_pages_camera(demo):
    assert demo.takes_process_res and demo.camera_scaled
    assert demo.default_input_size == 126
    rgb = render_scene(2, 0, (84, 126)).rgb
    view = View(hfov=70.0)
    prediction = demo.predict(rgb, 'room.png', view=view)
    assert prediction.network_size == (84, 126)
    camera = intrinsics_from_hfov(70.0, 84, 126)
    expected = inference(demo.model, rgb, rgb=True, process_res=126,
                         intrinsics=camera)
    np.testing.assert_array_equal(prediction.depth, expected)
    narrow = demo.predict(rgb, 'room.png', input_size=252,
                          view=View(hfov=70.0))
    assert narrow.network_size == (168, 252)
    build_app(demo)  # the page builds for a DA3 config


def test_a_strip_too_thin_for_da3_is_refused_on_upload(demo, tmp_path):
    path = tmp_path / 'strip.png'
    PIL.Image.fromarray(np.zeros((10, 2000, 3), np.uint8)).save(path)
    with pytest.raises(UploadError, match=r'strip\.png: .*process_res >='):
        demo.read(str(path), 504)
