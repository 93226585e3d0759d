"""tools/infer.py --vis: the pictures of a tiny model, checked in pixels;
bad --vis / --gt refused at the start."""
import cv2
import numpy as np
import pytest

from da2zoe.cli import infer as infer_cli
from da2zoe.testing import render_scene
from da2zoe.visualization import overlay_depth
from da2zoe.visualization.colorize import colormap_lut
from tiny_depther import write_tiny_model


@pytest.fixture(scope='module')
def infer():
    return infer_cli


@pytest.fixture(scope='module')
def model_and_image(tmp_path_factory):
    root = tmp_path_factory.mktemp('infer_vis')
    config, checkpoint = write_tiny_model(str(root), infer_size=56)
    scene = render_scene(0, 0, (56, 84))
    image = root / 'room.png'
    cv2.imwrite(str(image), scene.rgb[..., ::-1])
    return root, config, checkpoint, image


def test_vis_pictures_of_a_tiny_model(infer, model_and_image, tmp_path):
    root, config, checkpoint, image = model_and_image
    first = tmp_path / 'first'
    assert infer.main([config, checkpoint, str(image), '--out-dir',
                       str(first), '--save', 'npy', '--device', 'cpu']) == 0
    depth = np.load(first / 'room_depth.npy')
    gt_dir = tmp_path / 'gt'
    gt_dir.mkdir()
    np.save(gt_dir / 'room.npy', depth)  # the prediction itself: no error
    out = tmp_path / 'out'
    assert infer.main([config, checkpoint, str(image), '--out-dir', str(out),
                       '--save', 'npy', '--device', 'cpu', '--vis',
                       'overlay,error,anaglyph,panel', '--gt',
                       str(gt_dir), '--overlay-alpha', '0.4']) == 0
    rgb = cv2.imread(str(image))[..., ::-1]
    overlay = cv2.imread(str(out / 'room_overlay.png'))[..., ::-1]
    np.testing.assert_array_equal(overlay, overlay_depth(rgb, depth, 0.4))
    error = cv2.imread(str(out / 'room_error.png'))[..., ::-1]
    zero = colormap_lut('inferno')[0]
    assert (error[:, :40] == zero).all()  # left of the scale: exact zero
    anaglyph = cv2.imread(str(out / 'room_anaglyph.png'))[..., ::-1]
    np.testing.assert_array_equal(anaglyph[..., 0], rgb[..., 0])
    panel = cv2.imread(str(out / 'room_panel.png'))
    assert panel.shape == (56, 4 * 84, 3)


@pytest.mark.parametrize('argv, message', [
    (['--vis', 'overlay,depthmap'], 'valid kinds: overlay, error, '
     'anaglyph, panel'),
    (['--vis', 'error'], '--vis error needs --gt'),
    (['--vis', 'overlay', '--gt', '/no/such/gt'], "--gt '/no/such/gt' does "
     'not exist'),
])
def test_bad_vis_refused_at_start(infer, model_and_image, capsys, argv,
                                  message):
    root, config, checkpoint, image = model_and_image
    with pytest.raises(SystemExit) as exit_info:
        infer.main([config, checkpoint, str(image)] + argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
