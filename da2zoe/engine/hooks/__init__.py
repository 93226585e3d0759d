from .checkpoint_hook import DepthCheckpointHook, build_training_checkpoint
from .epoch_seed_hook import EpochSeedHook, seed_worker_from_torch
from .nonfinite_loss_hook import NonFiniteLossHook, batch_sample_names
from .prediction_writer_hook import PredictionWriterHook
from .test_progress_hook import TestProgressHook

__all__ = [
    'EpochSeedHook', 'seed_worker_from_torch',
    'DepthCheckpointHook', 'build_training_checkpoint', 'NonFiniteLossHook',
    'batch_sample_names', 'PredictionWriterHook', 'TestProgressHook'
]
