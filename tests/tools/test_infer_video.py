"""tools/infer.py on a video with temporal smoothing and a depth video, and
on a frame folder that changes size mid-stream."""
import os.path as osp
import subprocess
import sys

import cv2
import numpy as np

from da2zoe.datasets.codecs import decode_millimetres
from da2zoe.testing.synthetic_sequence import render_sequence, write_video
from tiny_depther import ROOT, write_tiny_model

TOOL = osp.join(ROOT, 'tools', 'infer.py')


def test_video_to_smoothed_pngs_and_a_depth_video(tmp_path):
    config, checkpoint = write_tiny_model(str(tmp_path), infer_size=56)
    walk = render_sequence(0, 0, (56, 70), num_frames=5)
    clip = write_video(str(tmp_path / 'walk.avi'), walk.rgb, fps=5)
    frames = tmp_path / 'frames'
    frames.mkdir()
    for i, image in enumerate(walk.rgb):
        if i == 3:
            image = cv2.resize(image, (35, 28))
        cv2.imwrite(str(frames / f'{i:03d}.png'), image[..., ::-1])
    out = tmp_path / 'out'
    common = [sys.executable, TOOL, config, checkpoint, '--out-dir',
              str(out), '--save', 'png16', 'npy', 'video',
              '--temporal-smoothing', '0.5', '--side-by-side', '--device',
              'cpu']
    result = subprocess.run(common[:2] + [common[2], common[3], clip] +
                            common[4:], capture_output=True, text=True,
                            timeout=300, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert 'done 5, failed 0' in result.stdout
    capture, count = cv2.VideoCapture(str(out / 'walk_depth.mp4')), 0
    while True:
        ok, image = capture.read()
        if not ok:
            break
        count += 1
        assert image.shape == (56, 140, 3)
    assert count == 5
    png = cv2.imread(str(out / 'walk_000004_depth.png'), cv2.IMREAD_UNCHANGED)
    npy = np.load(out / 'walk_000004_depth.npy')
    assert np.abs(decode_millimetres(png) - npy).max() <= 5e-4
    broken = subprocess.run(common[:2] + [common[2], common[3],
                                          str(frames)] + common[4:],
                            capture_output=True, text=True, timeout=300,
                            cwd=ROOT)
    assert broken.returncode == 1
    assert 'frame 3 (' in broken.stderr and '003.png' in broken.stderr
    assert osp.isfile(out / '002_depth.png')
    assert not osp.exists(out / '003_depth.png')
    assert cv2.VideoCapture(str(out / 'frames_depth.mp4')).get(
        cv2.CAP_PROP_FRAME_COUNT) == 3
