"""inference() and tools/test.py's path (test pipeline + test_step) agree."""
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from mmengine.dataset import pseudo_collate

from da2zoe.apis import inference, init_model
from da2zoe.registry import DATASETS

REPO = Path(__file__).resolve().parents[2]
# The configs' own pipelines and heads; only the encoder is cut to 4 blocks.
SHORT_ENCODER = {
    'model.backbone.arch': dict(
        _delete_=True, embed_dims=384, num_layers=4, num_heads=6),
    'model.backbone.out_indices': [0, 1, 2, 3],
}


@pytest.mark.parametrize('config', ['da2zoe_vits_nyu.py',
                                    'da2zoe-dpt_vits_nyu.py'])
def test_inference_equals_test_pipeline_and_model(config, synthetic_root):
    torch.manual_seed(0)
    model = init_model(REPO / 'configs' / config, cfg_options=SHORT_ENCODER)
    dataset_cfg = model.cfg.test_dataloader.dataset.copy()
    dataset_cfg.data_root = str(synthetic_root / 'nyu')
    dataset = DATASETS.build(dataset_cfg)
    sample = dataset[0]
    assert sample['inputs'].shape[-2:] != sample['data_samples'].ori_shape

    evaluated = model.test_step(pseudo_collate([sample]))[0].pred_depth[0]
    img_path = sample['data_samples'].img_path
    from_path = inference(model, img_path)
    from_array = inference(model, cv2.imread(img_path))
    assert from_path.shape == tuple(sample['data_samples'].ori_shape)
    assert torch.equal(torch.from_numpy(from_path), evaluated)
    assert torch.equal(torch.from_numpy(from_array), evaluated)
    # A different input size really changes what the model sees.
    resized = inference(model, img_path, input_size=196)
    assert resized.shape == from_path.shape
    assert not np.array_equal(resized, from_path)
