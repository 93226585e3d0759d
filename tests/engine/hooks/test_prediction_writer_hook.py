"""PredictionWriterHook writes millimetre PNGs and fails loudly."""
import cv2
import pytest
import torch

from da2zoe.engine.hooks.prediction_writer_hook import PredictionWriterHook
from da2zoe.structures import DepthDataSample


def _sample(img_path: str) -> DepthDataSample:
    sample = DepthDataSample(metainfo=dict(img_path=img_path,
                                           dataset_name='nyu'))
    sample.pred_depth = torch.full((1, 3, 4), 1.5)
    return sample


def test_writes_millimetres(tmp_path):
    hook = PredictionWriterHook(str(tmp_path))
    hook.after_test_iter(None, 0, outputs=[_sample('/x/room/a.jpg')])
    stored = cv2.imread(str(tmp_path / 'nyu' / 'room' / 'a.png'),
                        cv2.IMREAD_UNCHANGED)
    assert stored.dtype.name == 'uint16' and (stored == 1500).all()


def test_failed_write_names_the_file(tmp_path, monkeypatch):
    # cv2.imwrite returns False on a full disk instead of raising.
    monkeypatch.setattr(cv2, 'imwrite', lambda *args: False)
    hook = PredictionWriterHook(str(tmp_path))
    with pytest.raises(OSError, match='a.png'):
        hook.after_test_iter(None, 0, outputs=[_sample('/x/room/a.jpg')])
