from .checkpoint_hook import DepthCheckpointHook, build_training_checkpoint
from .nonfinite_loss_hook import NonFiniteLossHook, batch_sample_names
from .prediction_writer_hook import PredictionWriterHook
from .test_progress_hook import TestProgressHook

__all__ = [
    'DepthCheckpointHook', 'build_training_checkpoint', 'NonFiniteLossHook',
    'batch_sample_names', 'PredictionWriterHook', 'TestProgressHook'
]
