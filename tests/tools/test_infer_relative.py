"""tools/infer.py (da2zoe.cli.infer) with a relative model: no file claims
metres. Disparity and relative depth are written as what they are, and the
metric outputs (16-bit millimetres, point clouds) are refused unless
--align-sparse fits relative depth to known depths."""
import cv2
import numpy as np
import pytest
from mmengine.config import Config

from da2zoe.apis import inference, init_model
from da2zoe.apis.depth_outputs import ColorStyle, color_picture
from da2zoe.apis.prediction_kind import prediction_kind
from da2zoe.apis.vis_outputs import VisStyle, vis_picture
from da2zoe.cli import infer as infer_cli
from da2zoe.testing import render_scene
from tiny_depther import write_tiny_model

SCORING = dict(
    disparity=dict(type='DepthMetric', align='least_squares_disparity',
                   pred_space='disparity'),
    relative_depth=dict(type='DepthMetric', align='least_squares'))


@pytest.fixture(scope='module')
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp('infer_relative')
    config, checkpoint = write_tiny_model(str(root), infer_size=56)
    configs = {'metric': config}
    for kind, metric in SCORING.items():
        cfg = Config.fromfile(config)
        cfg.test_evaluator = [metric, dict(type='DA2KMetric')]
        configs[kind] = str(root / f'{kind}.py')
        cfg.dump(configs[kind])
    scene = render_scene(1, 0, (56, 84))
    cv2.imwrite(str(root / 'room.png'), scene.rgb[..., ::-1])
    return root, configs, checkpoint, scene


def test_kinds_are_read_from_the_scoring_config(models):
    _, configs, _, _ = models
    assert {kind: prediction_kind(Config.fromfile(path))
            for kind, path in configs.items()} == dict(
        metric='metric', disparity='disparity',
        relative_depth='relative_depth')
    assert prediction_kind(None) == 'metric'


def test_a_disparity_model_writes_disparity_files(models, capsys):
    root, configs, checkpoint, _ = models
    out = root / 'disparity_out'
    image = str(root / 'room.png')
    assert infer_cli.main([configs['disparity'], checkpoint, image,
                           '--out-dir', str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        'room_disparity.npy', 'room_disparity_color.png']
    assert 'predicts disparity' in capsys.readouterr().err
    model = init_model(configs['disparity'], checkpoint)
    disparity = np.load(out / 'room_disparity.npy')
    np.testing.assert_allclose(disparity, inference(model, image), rtol=1e-6)
    # Near (large disparity) in the near colour, unitless colour bar.
    picture = cv2.imread(str(out / 'room_disparity_color.png'))[..., ::-1]
    rgb = cv2.imread(image)[..., ::-1]
    np.testing.assert_array_equal(picture, color_picture(
        disparity, rgb, ColorStyle(cmap='turbo_r', unit='')))
    for save in (['png16'], ['npy', 'ply']):
        assert infer_cli.main([configs['disparity'], checkpoint, image,
                               '--out-dir', str(root / 'refused'),
                               '--hfov', '60', '--save', *save]) == 2
        err = capsys.readouterr().err
        assert 'metric outputs, but' in err and 'predicts disparity' in err
    known = root / 'known.txt'
    np.savetxt(known, [[10, 10, 2.0], [30, 40, 3.0]])
    assert infer_cli.main([configs['disparity'], checkpoint, image,
                           '--out-dir', str(root / 'refused'),
                           '--align-sparse', str(known)]) == 2
    assert '--align-sparse fits depth' in capsys.readouterr().err


def test_relative_depth_becomes_metric_only_through_align_sparse(
        models, capsys):
    root, configs, checkpoint, scene = models
    image = str(root / 'room.png')
    assert infer_cli.main([configs['relative_depth'], checkpoint, image,
                           '--out-dir', str(root / 'refused'),
                           '--save', 'png16']) == 2
    assert '--align-sparse fits it to known depths' in (
        capsys.readouterr().err)
    rng = np.random.default_rng(0)
    rows, cols = np.divmod(rng.choice(56 * 84, 30, replace=False), 84)
    known = root / 'known_depth.txt'
    np.savetxt(known, np.stack([rows, cols, scene.depth[rows, cols]], 1))
    out = root / 'aligned'
    assert infer_cli.main([configs['relative_depth'], checkpoint, image,
                           '--out-dir', str(out), '--align-sparse',
                           str(known)]) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        'room_depth.png', 'room_depth_color.png']
    # A metric model keeps its default outputs.
    out = root / 'metric'
    assert infer_cli.main([configs['metric'], checkpoint, image, '--out-dir',
                           str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        'room_depth.png', 'room_depth_color.png']


def test_pictures_that_need_metres_are_refused(models, capsys):
    # An abs-rel error map of unitless values against metres (or a stereo
    # pair shifted by disparity read as depth) is a picture of nothing.
    root, configs, checkpoint, scene = models
    image = str(root / 'room.png')
    gt = root / 'room_gt.npy'
    np.save(gt, scene.depth.astype(np.float32))
    cases = [('relative_depth', ['error', '--gt', str(gt)],
              '--vis error: abs rel', 'fits it to known depths first'),
             ('relative_depth', ['panel', '--gt', str(gt)],
              '--vis panel: abs rel', 'fits it to known depths first'),
             ('disparity', ['anaglyph'], '--vis anaglyph: stereo', '')]
    for kind, vis, expected, hint in cases:
        assert infer_cli.main([configs[kind], checkpoint, image, '--out-dir',
                               str(root / 'refused_vis'), '--vis',
                               *vis]) == 2
        err = capsys.readouterr().err
        assert expected in err and hint in err, err
    # What needs no metres is drawn, disparity in the near colour.
    out = root / 'vis_ok'
    assert infer_cli.main([configs['disparity'], checkpoint, image,
                           '--out-dir', str(out), '--vis', 'overlay']) == 0
    picture = cv2.imread(str(out / 'room_overlay.png'))[..., ::-1]
    disparity = np.load(out / 'room_disparity.npy')
    rgb = cv2.imread(image)[..., ::-1]
    np.testing.assert_array_equal(picture, vis_picture(
        'overlay', disparity, rgb, style=VisStyle(cmap='turbo_r')))
