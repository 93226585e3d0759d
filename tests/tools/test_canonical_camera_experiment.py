"""canonical_camera_experiment.py --diagnose on tiny untrained models: the
intervention views, re-rendered scenes that match the files, the tables."""
import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from test_analysis_tools import load_tool  # the tools' one loader

from da2zoe.apis import init_model
from da2zoe.testing.synthetic_scenes import plane_masks, render_scene


@pytest.fixture(scope='module')
def tool():
    return load_tool('analysis_tools', 'canonical_camera_experiment.py')


@pytest.fixture(scope='module')
def experiment(tool, tmp_path_factory):
    """Data of a 2-image experiment (the defaults' cameras at half size) and
    an untrained checkpoint per model (as a finished run leaves them)."""
    work_dir = tmp_path_factory.mktemp('canonical')
    args = tool.parse_args([
        '--work-dir', str(work_dir), '--seeds', '0', '--num-train', '2',
        '--num-test', '2', '--size', '56', '70', '--crop', '56',
        '--train-fx', '45', '75', '--test-fx', '32.5', '105', '--diagnose'])
    roots = tool.make_data(args)
    for tag, canonical in (('metric', False), ('canonical', True)):
        run_dir = work_dir / f'{tag}_seed0'
        os.makedirs(run_dir)
        config = str(run_dir / 'experiment_config.py')
        tool.write_config(args, roots, canonical, config)
        model = init_model(config)
        torch.save({'state_dict': model.state_dict()},
                   run_dir / 'checkpoint_latest.pth')
    return args, roots


def test_interventions_move_the_floor_into_view(tool, experiment):
    args, _ = experiment
    views = tool.intervention_sets(args)
    assert sorted(views) == ['fx105_cy0.05H', 'fx105_cy0.3H',
                             'fx105_pitch10', 'fx105_up0.8m']
    roots = tool.make_interventions(args)
    with open(osp.join(roots['fx105_cy0.05H'], 'intrinsics.json')) as file:
        camera = np.array(json.load(file)['frame_0000'])
    assert camera[1, 2] == pytest.approx(0.05 * 56)
    assert camera[0, 0] == camera[1, 1] == 105.0
    # Same rooms, same seed: only the camera differs.
    natural = tool.floor_function(args, 'fx105', experiment[1]['fx105'])
    shifted = tool.floor_function(args, 'fx105_cy0.05H',
                                  roots['fx105_cy0.05H'])
    for index in range(2):
        path = f'x/rgb/frame_{index:04d}.jpg'
        assert shifted(path, (56, 70)).mean() > natural(path,
                                                        (56, 70)).mean()


@pytest.mark.parametrize('flags', [['--pitch-down', '0'],
                                   ['--shift-cy', '1.2'],
                                   ['--raise-camera', '1.0']])
def test_bad_intervention_flags_are_refused(tool, flags, capsys):
    with pytest.raises(SystemExit):
        tool.parse_args(flags)
    assert flags[0] in capsys.readouterr().err


def test_pitched_view_is_the_turned_camera(tool):
    size = (112, 154)
    camera = tool.scene_camera(size, 210.0, None)
    plain = render_scene(3, 101, size, camera)
    unturned = tool.render_pitched(3, 101, size, camera, 0.0, np.zeros(3))
    # Point-sampled from a 2x canvas: the renderer's own image, up to the
    # nearest canvas pixel (<= 1/4 pixel).
    same = plain.surface_id == unturned.surface_id
    assert same.mean() > 0.99
    assert np.abs(unturned.depth[same] / plain.depth[same] - 1).max() < 0.02
    turned = tool.render_pitched(3, 101, size, camera, 10.0, np.zeros(3))
    floor = plane_masks(turned)['floor']
    assert floor.mean() > plane_masks(plain)['floor'].mean() + 0.1
    # Its z-depth is along the turned axis: the floor back-projects to a
    # plane (to the 1/4 pixel of the canvas: mm; the unturned canvas depth
    # would be off by cm) 10 degrees steeper than in the unturned camera.
    rows, cols = np.nonzero(floor)
    points = np.linalg.inv(camera) @ np.stack(
        [cols, rows, np.ones(len(rows))]) * turned.depth[rows, cols]
    centred = points - points.mean(axis=1, keepdims=True)
    normal = np.linalg.svd(centred)[0][:, 2]
    assert np.abs(normal @ centred).max() < 0.02
    rows, cols = np.nonzero(plane_masks(plain)['floor'])
    plain_points = np.linalg.inv(camera) @ np.stack(
        [cols, rows, np.ones(len(rows))]) * plain.depth[rows, cols]
    plain_normal = np.linalg.svd(
        plain_points - plain_points.mean(axis=1, keepdims=True))[0][:, 2]
    tilt = np.degrees(np.arccos(abs(normal @ plain_normal)))
    assert tilt == pytest.approx(10.0, abs=0.2)


@pytest.mark.parametrize('name',
                         ['train', 'fx32.5', 'fx105_up0.8m', 'fx105_pitch10'])
def test_rerendered_scenes_are_the_files(tool, experiment, name):
    args, roots = experiment
    roots = dict(roots, **tool.make_interventions(args))
    scene_of = tool.scene_function(args, name, roots[name])
    for index in range(2):
        stored = cv2.imread(
            osp.join(roots[name], 'depth', f'frame_{index:04d}.png'),
            cv2.IMREAD_UNCHANGED) * 1e-3
        depth = scene_of(f'frame_{index:04d}.jpg', stored.shape).depth
        assert np.abs(depth - stored).max() <= 0.5e-3 + 1e-6


def test_diagnose_writes_every_image_and_the_tables(tool, experiment):
    args, roots = experiment
    text = tool.diagnose(args, roots, 0)
    with open(osp.join(args.work_dir, 'diagnosis_seed0.json')) as file:
        saved = json.load(file)
    records = saved['records']
    assert saved['train_focal'] == pytest.approx((45 * 75) ** 0.5)
    whole = {row['set']: row for row in saved['paired'][0]}
    assert whole['fx105']['ratio_expected'] == pytest.approx(
        105 / (45 * 75) ** 0.5)
    sets = ['train', 'fx32.5', 'fx105', 'fx105_cy0.05H', 'fx105_cy0.3H',
            'fx105_pitch10', 'fx105_up0.8m']
    assert len(records) == 2 * 2 * len(sets)
    assert sorted({r['set'] for r in records}) == sorted(sets)
    for record in records:
        assert np.isfinite(record['log_scale'])
        assert 0 <= record['floor_fraction'] <= 1
        expected = (32.5 if record['set'] == 'fx32.5' else
                    None if record['set'] == 'train' else 105.0)
        if expected is not None:
            assert record['focal'] == expected
    canonical = [r for r in records if r['model'] == 'canonical camera']
    assert all(r['beyond_head'] >= 0 for r in canonical)
    with open(osp.join(args.work_dir, 'diagnosis_seed0.md')) as file:
        assert file.read().strip() == text
    assert '| fx105_cy0.05H | canonical camera | 2 |' in text
    assert '| cue weight w: metric |' in text
    with open(osp.join(args.work_dir, 'diagnosis_seed0_images.md')) as file:
        rows = file.read().strip().split('\n')
    assert len(rows) == 2 + len(records)
    assert rows[2].startswith('| train | metric head | frame_0000.jpg |')
