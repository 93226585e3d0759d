"""Every da2zoe hook, registered in ``HOOKS`` (location ``da2zoe.engine``)."""
from .checkpoint_hook import DepthCheckpointHook
from .depth_visualization_hook import DepthVisualizationHook
from .epoch_seed_hook import EpochSeedHook, seed_worker_from_torch
from .nonfinite_loss_hook import NonFiniteLossHook, batch_sample_names
from .prediction_writer_hook import PredictionWriterHook
from .schedule_span_hook import ScheduleSpanHook
from .skipped_samples_hook import SkippedSamplesHook, count_skipped
from .test_progress_hook import TestProgressHook

__all__ = [
    'DepthCheckpointHook', 'DepthVisualizationHook', 'EpochSeedHook',
    'NonFiniteLossHook', 'PredictionWriterHook', 'ScheduleSpanHook',
    'SkippedSamplesHook',
    'TestProgressHook', 'batch_sample_names', 'count_skipped',
    'seed_worker_from_torch'
]
