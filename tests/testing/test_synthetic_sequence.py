"""The moving-camera sequence: exact depth per frame along the walk."""
import cv2
import numpy as np
import pytest

from da2zoe.testing import render_scene
from da2zoe.testing.synthetic_scenes import WALL_IDS
from da2zoe.testing.synthetic_sequence import (
    render_sequence,
    write_video,
)

FRONT_WALL = WALL_IDS[-1]


def test_first_frame_is_the_scene_and_a_plane_recedes_exactly():
    seq = render_sequence(2, 0, (48, 64), num_frames=5, forward_step=0.05,
                          sway=0.0)
    first = render_scene(2, 0, (48, 64))
    np.testing.assert_array_equal(seq.frames[0].rgb, first.rgb)
    np.testing.assert_array_equal(seq.frames[0].depth, first.depth)
    np.testing.assert_allclose(seq.offsets[:, 2], [0, .05, .1, .15, .2])
    # Walking d towards the plane z = c scales every ray's depth on it by
    # (c - z0 - d) / (c - z0): one ratio for all of its pixels.
    for frame in seq.frames[1:]:
        wall = (frame.surface_id == FRONT_WALL) & (
            seq.frames[0].surface_id == FRONT_WALL)
        assert wall.sum() > 50
        ratio = frame.depth[wall] / seq.frames[0].depth[wall]
        assert ratio.max() < 1 and ratio.std() < 1e-5


def test_refuses_a_walk_into_the_objects():
    with pytest.raises(ValueError, match='forward travel'):
        render_sequence(0, 0, (24, 32), num_frames=30, forward_step=0.05)


@pytest.mark.parametrize('ext', ['.mp4', '.avi'])
def test_write_video_round_trip(tmp_path, ext):
    seq = render_sequence(0, 0, (32, 48), num_frames=4)
    path = write_video(str(tmp_path / f'walk{ext}'), seq.rgb, fps=8)
    capture = cv2.VideoCapture(path)
    frames = []
    while True:
        ok, image = capture.read()
        if not ok:
            break
        frames.append(image[..., ::-1])
    assert capture.get(cv2.CAP_PROP_FPS) == pytest.approx(8)
    assert len(frames) == 4 and frames[0].shape == (32, 48, 3)
    # Lossy codecs: close to the rendered frames on average.
    assert np.abs(frames[2].astype(int) - seq.rgb[2]).mean() < 12
    with pytest.raises(ValueError, match='.mkv'):
        write_video(str(tmp_path / 'walk.mkv'), seq.rgb)
