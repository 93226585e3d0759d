"""tools/infer.py (da2zoe.cli.infer) end to end on synthetic scenes, a broken
file and a video."""
import os.path as osp
import subprocess
import sys

import cv2
import numpy as np
import pytest
import torch

from da2zoe.analysis import cpu
from da2zoe.apis import inference, init_model
from da2zoe.cli import infer as infer_cli
from da2zoe.testing import render_scene
from tiny_depther import ROOT, write_tiny_model

TOOL = osp.join(ROOT, 'tools', 'infer.py')
SIZE = 56
PLY_TYPES = {'float': '<f4', 'uchar': 'u1'}


def read_ply(path):
    """Minimal independent PLY reader: header lines, then the vertex data."""
    with open(path, 'rb') as file:
        data = file.read()
    end = data.index(b'end_header\n') + len(b'end_header\n')
    header = data[:end].decode('ascii').splitlines()
    assert header[0] == 'ply'
    fmt = header[1].split()[1]
    count = next(int(line.split()[2]) for line in header
                 if line.startswith('element vertex'))
    fields = [(line.split()[2], PLY_TYPES[line.split()[1]])
              for line in header if line.startswith('property')]
    if fmt == 'binary_little_endian':
        vertices = np.frombuffer(data[end:], dtype=fields, count=count)
    else:
        assert fmt == 'ascii'
        rows = np.loadtxt(data[end:].decode('ascii').splitlines(), ndmin=2)
        vertices = np.zeros(count, dtype=fields)
        for column, (name, _) in enumerate(fields):
            vertices[name] = rows[:, column]
    xyz = np.stack([vertices[c] for c in 'xyz'], axis=1)
    rgb = np.stack([vertices[c] for c in ('red', 'green', 'blue')], axis=1)
    return xyz, rgb


def run_tool(*args):
    result = subprocess.run([sys.executable, TOOL, *map(str, args)],
                            capture_output=True, text=True, cwd=ROOT,
                            timeout=300)
    return result


@pytest.fixture(scope='module')
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp('infer')
    config, checkpoint = write_tiny_model(str(root), infer_size=SIZE)
    images = root / 'images'
    images.mkdir()
    scenes = [render_scene(i, 0, (112, 154)) for i in range(3)]
    for i, scene in enumerate(scenes):
        cv2.imwrite(str(images / f'scene{i}.png'), scene.rgb[..., ::-1])
    (images / 'broken.jpg').write_bytes(b'this is not a jpeg')
    return root, config, checkpoint, images, scenes


def test_folder_with_every_output(setup):
    root, config, checkpoint, images, scenes = setup
    out = root / 'out'
    fx, fy, cx, cy = 120.0, 118.0, 76.5, 55.5
    result = run_tool(config, checkpoint, images, '--out-dir', out, '--save',
                      'png16', 'npy', 'color', 'ply', '--intrinsics', fx, fy,
                      cx, cy, '--side-by-side', '--device', 'cpu')
    assert result.returncode == 0, result.stderr
    assert 'done 3, failed 1' in result.stdout
    assert 'broken.jpg' in result.stderr

    model = init_model(config, checkpoint)
    expected = inference(model, [s.rgb for s in scenes], rgb=True)
    for i, (scene, depth) in enumerate(zip(scenes, expected)):
        stem = str(out / f'scene{i}')
        png = cv2.imread(stem + '_depth.png', cv2.IMREAD_UNCHANGED)
        assert png.dtype == np.uint16 and png.shape == (112, 154)
        assert np.abs(png / 1000.0 - depth).max() <= 1e-3
        np.testing.assert_allclose(
            np.load(stem + '_depth.npy'), depth, rtol=1e-5, atol=1e-6)

        color = cv2.imread(stem + '_depth_color.png')
        assert color.shape == (112, 2 * 154, 3)
        np.testing.assert_array_equal(color[:, :154, ::-1], scene.rgb)

        xyz, rgb = read_ply(stem + '_points.ply')
        npy = np.load(stem + '_depth.npy')
        rows, cols = np.mgrid[0:112, 0:154]
        assert len(xyz) == npy.size
        np.testing.assert_allclose(xyz[:, 2], npy.ravel(), rtol=1e-6)
        np.testing.assert_allclose(
            xyz[:, 0], (cols.ravel() - cx) * npy.ravel() / fx, atol=1e-5)
        np.testing.assert_allclose(
            xyz[:, 1], (rows.ravel() - cy) * npy.ravel() / fy, atol=1e-5)
        np.testing.assert_array_equal(rgb, scene.rgb.reshape(-1, 3))
    assert not (out / 'broken_depth.png').exists()


def test_video_glob_defaults_and_ascii_ply(setup):
    root, config, checkpoint, _, scenes = setup
    videos = root / 'videos'
    videos.mkdir()
    writer = cv2.VideoWriter(
        str(videos / 'clip.avi'), cv2.VideoWriter_fourcc(*'MJPG'), 5,
        (154, 112))
    for scene in scenes:
        writer.write(np.ascontiguousarray(scene.rgb[..., ::-1]))
    writer.release()
    out = root / 'out_video'
    result = run_tool(config, checkpoint, videos / '*.avi', '--out-dir', out,
                      '--save', 'png16', 'color', 'ply', '--hfov', 60,
                      '--ply-format', 'ascii', '--vmin', 0.5, '--vmax', 5)
    assert result.returncode == 0, result.stderr
    assert 'done 3, failed 0' in result.stdout
    for index in range(3):
        stem = str(out / f'clip_{index:06d}')
        assert cv2.imread(stem + '_depth_color.png').shape == (112, 154, 3)
        depth = cv2.imread(stem + '_depth.png', cv2.IMREAD_UNCHANGED) / 1000
        xyz, _ = read_ply(stem + '_points.ply')
        focal = 77.0 / np.tan(np.radians(30))
        rows, cols = np.mgrid[0:112, 0:154]
        np.testing.assert_allclose(xyz[:, 2], depth.ravel(), atol=6e-4)
        np.testing.assert_allclose(
            xyz[:, 0], (cols.ravel() - 76.5) * xyz[:, 2] / focal, atol=1e-5)


def test_missing_input_and_ply_without_intrinsics(setup, capsys):
    root, config, checkpoint, _, _ = setup
    tool = infer_cli
    with pytest.raises(SystemExit):
        tool.parse_args([config, checkpoint, 'x.png', '--save', 'ply'])
    assert tool.main([config, checkpoint, str(root / 'nothing_here')]) == 1
    assert 'nothing_here' in capsys.readouterr().err
    with pytest.raises(SystemExit):
        tool.parse_args([config, checkpoint, 'x.png', '--input-size', '384'])
    assert '--input-size=384: 384 is not a multiple of 14' in (
        capsys.readouterr().err)
    assert tool.parse_args([config, checkpoint, 'x.png', '--input-size',
                            '392']).input_size == 392


def test_low_precision_logits_through_cfg_options(setup):
    _, config, checkpoint, _, scenes = setup
    bgr = np.ascontiguousarray(scenes[0].rgb[..., ::-1])
    default = init_model(config, checkpoint, device='cpu')
    fast = init_model(
        config, checkpoint, device='cpu',
        cfg_options={'model.backbone.low_precision_logits': True})
    assert all(block.attn.low_precision_logits
               for block in fast.backbone.blocks)
    reference = inference(default, bgr, dtype=torch.bfloat16)
    approx = inference(fast, bgr, dtype=torch.bfloat16)
    assert approx.shape == reference.shape == (112, 154)
    assert np.abs(approx - reference).mean() / np.abs(reference).mean() < 2e-2
    # float32 inference is untouched by the option.
    np.testing.assert_array_equal(
        inference(fast, bgr), inference(default, bgr))


def test_bf16_falls_back_to_float32_on_a_cpu_without_native_bf16(
        setup, monkeypatch, capsys, tmp_path):
    _, config, checkpoint, images, _ = setup
    tool = infer_cli
    avx2 = cpu.CpuInfo('test CPU', 'AVX2', frozenset({'avx2'}))
    monkeypatch.setattr(cpu, 'cpu_info', lambda: avx2)
    dtypes = []
    monkeypatch.setattr(tool, 'inference',
                        lambda *a, dtype, **k: dtypes.append(dtype) or [])
    image = str(images / 'scene0.png')
    common = [config, checkpoint, image, '--device', 'cpu', '--out-dir',
              str(tmp_path)]
    tool.main(common + ['--bf16'])
    assert '--bf16 ignored, running in float32' in capsys.readouterr().err
    tool.main(common + ['--bf16', '--force'])
    assert '--bf16 forced' in capsys.readouterr().err
    assert dtypes == [None, torch.bfloat16]
