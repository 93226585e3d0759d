"""predict_video on small written videos and frame folders; broken input."""
import cv2
import numpy as np
import pytest

from da2zoe.apis import inference, init_model
from da2zoe.apis.sources import collect_sources, iter_frames
from da2zoe.apis.video import SequenceError, predict_video
from da2zoe.testing.synthetic_sequence import render_sequence, write_video
from tiny_depther import write_tiny_model


def _count(path):
    capture, n = cv2.VideoCapture(str(path)), 0
    while capture.read()[0]:
        n += 1
    return n


@pytest.fixture(scope='module')
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp('video')
    config, checkpoint = write_tiny_model(str(root), infer_size=56)
    return root, init_model(config, checkpoint), render_sequence(
        0, 0, (56, 70), num_frames=4)


def test_video_in_depth_video_out(setup):
    root, model, walk = setup
    clip = write_video(str(root / 'walk.avi'), walk.rgb, fps=6)
    out = list(predict_video(model, clip, video_path=str(root / 'd.mp4')))
    assert [f.index for f, _ in out] == [0, 1, 2, 3]
    assert out[0][0].fps == pytest.approx(6)
    expected = inference(model, out[0][0].image)
    np.testing.assert_allclose(out[0][1], expected, rtol=1e-4)
    assert _count(root / 'd.mp4') == 4


def test_size_change_and_bad_sources_name_source_and_frame(setup):
    root, model, walk = setup
    folder = root / 'frames'
    folder.mkdir()
    for i, image in enumerate(walk.rgb):
        if i == 2:
            image = cv2.resize(image, (35, 28))
        cv2.imwrite(str(folder / f'{i:03d}.png'), image[..., ::-1])
    got = []
    with pytest.raises(SequenceError, match='frame 2 .*002.png'):
        for frame, _ in predict_video(model, str(folder),
                                      video_path=str(root / 'f.avi')):
            got.append(frame.index)
    assert got == [0, 1] and _count(root / 'f.avi') == 2
    (root / 'junk.mp4').write_bytes(b'not a video')
    with pytest.raises(SequenceError, match='Cannot open video'):
        list(predict_video(model, str(root / 'junk.mp4')))
    assert collect_sources('7') == ['camera:7']
    frames = list(iter_frames(['camera:7']))
    assert len(frames) == 1 and frames[0].fatal
    assert 'Cannot open camera 7' in frames[0].error


def test_a_truncated_video_names_the_frame_it_broke_at(tmp_path):
    walk = render_sequence(0, 0, (56, 70), num_frames=8)
    path = write_video(str(tmp_path / 'cut.avi'), walk.rgb)
    data = open(path, 'rb').read()
    open(path, 'wb').write(data[:int(len(data) * 0.6)])
    frames = list(iter_frames([path]))
    *good, last = frames
    assert 0 < len(good) < 8 and all(f.image is not None for f in good)
    assert last.fatal and last.image is None
    assert f'frame {len(good)} could not be decoded' in last.error
    assert 'header says 8 frames' in last.error and path in last.error
