import json

import numpy as np
import pytest

from da2zoe.datasets import DepthFolderDataset
from da2zoe.testing.synthetic_datasets import write_synthetic


def test_fx_range_gives_each_scene_its_camera(tmp_path):
    manifest = write_synthetic(tmp_path, 6, 0, (28, 42), ['folder'],
                               fx_range=(20.0, 60.0))
    entries = manifest['formats']['folder']['entries']
    focals = [e['intrinsics'][0][0] for e in entries]
    assert all(20 <= f <= 60 for f in focals) and len(set(focals)) == 6
    cameras = json.loads((tmp_path / 'folder' / 'intrinsics.json').read_text())
    dataset = DepthFolderDataset(
        data_root=str(tmp_path / 'folder'), depth_scale=1e-3,
        pipeline=[dict(type='LoadRGB'), dict(type='LoadDepth'),
                  dict(type='PackDepthInputs')])
    for i in range(6):
        sample = dataset[i]['data_samples']
        assert np.allclose(sample.intrinsics,
                           cameras[f'frame_{i:04d}'], atol=1e-9)
    with pytest.raises(ValueError, match='nyu_csv'):
        write_synthetic(tmp_path / 'x', 2, 0, (28, 42), ['nyu_csv'],
                        fx_range=(20.0, 60.0))
