"""MMEngine's ``FSDPStrategy`` on GPUs and on CPU + gloo, with da2zoe's
parameter groups, wrap policy and checkpoint files."""
import copy
import os
import os.path as osp
import re
import time
from typing import Callable, Optional, Union

import mmengine
import torch
import torch.distributed as dist
import torch.nn as nn
from mmengine._strategy import FSDPStrategy
from mmengine.dist import get_rank, get_world_size, is_main_process
from mmengine.optim import BaseOptimWrapper, build_optim_wrapper
from mmengine.utils import get_git_hash
from torch.distributed.fsdp import FullStateDictConfig, StateDictType
from torch.distributed.fsdp import FullyShardedDataParallel as FSDP

from da2zoe.checkpoint import load_checkpoint_file, save_checkpoint_atomic
from da2zoe.registry import STRATEGIES
from .sharded_clip import ShardedGradNormClip
from .sharded_state import (
    prune_shard_dirs,
    read_shard,
    shard_dir_name,
    write_shard,
)
from .wrap_policy import depth_wrap_policy


class FSDPConfigError(ValueError):
    """An FSDP option that cannot work here, found at start-up."""


def _unwrapped_name(name: str) -> str:
    """A parameter's name in the unwrapped model."""
    for wrapper in ('_fsdp_wrapped_module.', '_checkpoint_wrapped_module.'):
        name = name.replace(wrapper, '')
    return name


class ShardedLoadError(RuntimeError):
    """A checkpoint lacks tensors of the model or holds other shapes."""


def _misfits(shapes: dict, state: dict) -> list:
    """``key (why)`` for each model tensor ``state`` lacks or reshapes."""
    misfits = []
    for key, ref in shapes.items():
        if key not in state:
            misfits.append(f'{key} (missing)')
        elif tuple(getattr(state[key], 'shape', ())) != tuple(ref.shape):
            misfits.append(f'{key} ({tuple(state[key].shape)} vs '
                           f'{tuple(ref.shape)})')
    return misfits


@STRATEGIES.register_module()
class DepthFSDPStrategy(FSDPStrategy):
    """:class:`mmengine._strategy.FSDPStrategy` for da2zoe models.

    Use it with MMEngine's ``FlexibleRunner``::

        runner_type = 'FlexibleRunner'
        strategy = dict(type='DepthFSDPStrategy')

    What it changes in MMEngine's strategy, and why:

    - **Devices.** MMEngine passes ``device_id=LOCAL_RANK`` (a CUDA index);
      on a CPU-only machine the model stays on the CPU and the process
      group is gloo (set up by ``da2zoe.cli``). ``cpu_offload`` needs CUDA
      parameters to offload and is refused without a GPU.
    - **Wrap policy.** Unless ``model_wrapper.auto_wrap_policy`` is given,
      each DINOv2 block, the neck and the head are FSDP units
      (:func:`depth_wrap_policy`); a model without ``backbone.blocks`` is an
      error at start. ``use_orig_params=True`` (MMEngine's default too):
      frozen and trained parameters may share a unit and the optimiser sees
      every original parameter.
    - **Parameter groups.** The optimiser wrapper's constructor
      (``DepthOptimWrapperConstructor``: encoder lr / factor, no-decay
      rules, custom keys) runs on the model *before* sharding, where every
      parameter has its real name, shape and module; MMEngine's own
      "built optimiser" path then maps each group by parameter name onto
      the sharded parameters. The groups hold the same parameters (by name)
      with the same settings as under DDP.
    - **Clipping.** Norm clipping reduces the norm over all shards
      (:class:`ShardedGradNormClip`) instead of clipping each shard by its
      own norm.
    - **Checkpoints.** Each save writes one consolidated file (full weights
      in the unsharded layout, schedulers, message hub, meta; no optimiser
      state) that ``tools/test.py`` / ``tools/infer.py`` load in a single
      process, plus each rank's optimiser shard under
      ``sharded_state/epoch_E_iter_I/`` (:mod:`.sharded_state`). Files are
      written atomically; the consolidated one last, after every shard.
      Resuming loads the full weights on every rank, this rank's shard and
      the schedulers: exact, with the same number of processes.
      Checkpoints are read weights-only with the da2zoe allow list, and a
      missing or wrong-shaped tensor stops the load (as ``DepthRunner``).

    Mixed precision: ``--amp`` (``DepthAmpOptimWrapper``, bf16 autocast)
    works unchanged; fp16 with a loss scaler is refused (its per-rank
    inf checks would need MMEngine's sharded scaler path). FSDP's own
    ``model_wrapper.mixed_precision`` is passed on to FSDP as in MMEngine.
    Activation checkpointing: ``model.backbone.with_cp=True`` (inside each
    block, composes with the block units) or MMEngine's
    ``activation_checkpointing`` option.

    Args:
        model_wrapper (dict, optional): ``MMFullyShardedDataParallel``
            arguments (``sharding_strategy``, ``auto_wrap_policy``,
            ``mixed_precision``, ``backward_prefetch``, ...).
        keep_sharded_states (int): Shard folders kept (newest by
            iteration); <= 0 keeps all. Defaults to 2.
        skip_init_weights (bool): As MMEngine's. Defaults to False.
        activation_checkpointing (dict, optional): As MMEngine's.
        work_dir (str): Set by the runner.
        experiment_name (str, optional): Set by the runner.
        env_kwargs (dict, optional): Set by the runner.
        log_kwargs (dict, optional): Set by the runner.
        auto_scale_lr (dict, optional): Set by the runner.
    """

    def __init__(self,
                 *,
                 model_wrapper: Optional[dict] = None,
                 keep_sharded_states: int = 2,
                 skip_init_weights: bool = False,
                 activation_checkpointing: Optional[dict] = None,
                 work_dir: str = 'work_dirs',
                 experiment_name: Optional[str] = None,
                 env_kwargs: Optional[dict] = None,
                 log_kwargs: Optional[dict] = None,
                 auto_scale_lr: Optional[dict] = None) -> None:
        model_wrapper = dict(model_wrapper or {})
        model_wrapper.setdefault('type', 'MMFullyShardedDataParallel')
        model_wrapper.setdefault('use_orig_params', True)
        if not model_wrapper['use_orig_params']:
            raise FSDPConfigError(
                'strategy.model_wrapper.use_orig_params=False: da2zoe needs '
                'the original parameters (named parameter groups, frozen '
                'encoder parts next to trained ones); leave it True')
        if model_wrapper.get('cpu_offload') and not torch.cuda.is_available():
            raise FSDPConfigError(
                'strategy.model_wrapper.cpu_offload: no GPU here, the '
                'parameters already live in CPU memory and FSDP offload '
                'needs CUDA; remove the option (CPU + gloo trains without '
                'it)')
        if 'state_dict_cfg' in model_wrapper:
            raise FSDPConfigError('state_dict_cfg belongs to the strategy, '
                                  'not strategy.model_wrapper')
        super().__init__(
            model_wrapper=model_wrapper,
            skip_init_weights=skip_init_weights,
            state_dict_cfg='full',
            activation_checkpointing=activation_checkpointing,
            work_dir=work_dir,
            experiment_name=experiment_name,
            env_kwargs=env_kwargs,
            log_kwargs=log_kwargs,
            auto_scale_lr=auto_scale_lr)
        self.keep_sharded_states = int(keep_sharded_states)
        self._pending_optim_cfg = None
        self._prebuilt_optim_wrapper = None
        self._resuming_optimizer = False

    # Start-up ----------------------------------------------------------

    def _setup_distributed(self,
                           launcher: str = 'pytorch',
                           backend: str = 'nccl',
                           **kwargs) -> None:
        """Refuses a run without a process group (FSDP shards over one).

        Args:
            launcher (str): The launcher.
            backend (str): The backend.
            **kwargs: For MMEngine's ``init_dist``.
        """
        if not dist.is_initialized() and launcher == 'none':
            raise FSDPConfigError(
                'strategy DepthFSDPStrategy needs a distributed launch: run '
                'tools/dist_train.sh CONFIG N (N >= 1 processes) or '
                'tools/slurm_train.sh, or pass --launcher pytorch under '
                'torchrun')
        super()._setup_distributed(launcher, backend, **kwargs)

    def prepare(self, model, *, optim_wrapper=None, param_scheduler=None,
                compile=False, dispatch_kwargs=None):
        """MMEngine's ``prepare``; an optimiser config is built before the
        model is sharded (see the class docstring).

        Args:
            model (nn.Module | dict): The model or its config.
            optim_wrapper (BaseOptimWrapper | dict, optional): The wrapper.
            param_scheduler (dict | list, optional): The schedulers.
            compile (dict | bool): As MMEngine's.
            dispatch_kwargs (dict, optional): As MMEngine's.
        """
        if isinstance(optim_wrapper, dict) and not self._prepared:
            self._pending_optim_cfg = copy.deepcopy(optim_wrapper)
        return super().prepare(
            model,
            optim_wrapper=optim_wrapper,
            param_scheduler=param_scheduler,
            compile=compile,
            dispatch_kwargs=dispatch_kwargs)

    def build_model(self, model: Union[nn.Module, dict]) -> nn.Module:
        """MMEngine's, plus the unsharded shapes for checkpoint checks.

        Args:
            model (nn.Module | dict): The model or its config.
        """
        model = super().build_model(model)
        self._full_shapes = {
            key: torch.empty(value.shape, device='meta')
            for key, value in model.state_dict().items()
        }
        return model

    def _wrap_model(self, model: nn.Module) -> nn.Module:
        """Builds the optimiser groups, then shards the model.

        Args:
            model (nn.Module): The unwrapped model.
        """
        if self._pending_optim_cfg is not None:
            self._check_optim_cfg(self._pending_optim_cfg)
            self._prebuilt_optim_wrapper = build_optim_wrapper(
                model, self._pending_optim_cfg)
            self._pending_optim_cfg = None
        self.model_wrapper.setdefault('auto_wrap_policy',
                                      depth_wrap_policy(model))
        if torch.cuda.is_available():
            self.model_wrapper.setdefault('device_id',
                                          int(os.environ['LOCAL_RANK']))
        else:
            self.model_wrapper.setdefault('device_id', torch.device('cpu'))
        return super()._wrap_model(model)

    @staticmethod
    def _check_optim_cfg(cfg: dict) -> None:
        dtype = cfg.get('dtype')
        if dtype in ('float16', torch.float16) or cfg.get('type') in (
                'AmpOptimWrapper', 'mmengine.AmpOptimWrapper'):
            raise FSDPConfigError(
                f'optim_wrapper type={cfg.get("type")!r} dtype={dtype!r}: '
                'fp16 loss scaling is not supported by DepthFSDPStrategy; '
                'use --amp with bf16 (DepthAmpOptimWrapper, the default on '
                'CPUs and bf16 GPUs)')

    def build_optim_wrapper(self, optim_wrapper, model=None
                            ) -> BaseOptimWrapper:
        """Maps the prebuilt groups onto the shards; sets sharded clipping.

        Args:
            optim_wrapper (BaseOptimWrapper | dict): The wrapper or config.
            model (nn.Module, optional): The sharded model.
        """
        if isinstance(optim_wrapper, dict) and \
                self._prebuilt_optim_wrapper is not None:
            wrapper = self._prebuilt_optim_wrapper
            self._prebuilt_optim_wrapper = None
            self._move_groups_to_shards(wrapper.optimizer, model)
        else:
            wrapper = super().build_optim_wrapper(optim_wrapper, model)
        if getattr(wrapper, 'clip_func', None) is \
                torch.nn.utils.clip_grad_norm_:
            wrapper.clip_func = ShardedGradNormClip(model)
        return wrapper

    def _move_groups_to_shards(self, optimizer: torch.optim.Optimizer,
                               model: nn.Module) -> None:
        """Points each group at the sharded parameters of the same names.

        MMEngine's own remapping rebuilds the optimiser from its
        ``defaults``, which newer torch optimisers do not accept back
        (``AdamW(decoupled_weight_decay=...)``); the groups are edited in
        place instead (the optimiser has no state yet).

        Args:
            optimizer (torch.optim.Optimizer): Built on the unwrapped model.
            model (nn.Module): The sharded model.
        """
        if optimizer.state:
            raise FSDPConfigError('the optimiser has state before sharding')
        sharded = {
            _unwrapped_name(name): param
            for name, param in model.named_parameters()
        }
        for group in optimizer.param_groups:
            group['params'] = [
                sharded[self.id_to_name[id(param)]]
                for param in group['params']
            ]

    # Checkpoints -------------------------------------------------------

    def save_checkpoint(self,
                        filename: str,
                        *,
                        save_optimizer: bool = True,
                        save_param_scheduler: bool = True,
                        extra_ckpt: Optional[dict] = None,
                        callback: Optional[Callable] = None) -> None:
        """Writes the shards (every rank), then the consolidated file.

        Collective: every rank must call it (the runner's hooks do).

        Args:
            filename (str): The consolidated file.
            save_optimizer (bool): Write the optimiser shards.
            save_param_scheduler (bool): Save the schedulers.
            extra_ckpt (dict, optional): ``meta``, ``message_hub``, ...
            callback (Callable, optional): Edits the checkpoint before it is
                written (``before_save_checkpoint`` hooks).
        """
        checkpoint = dict(state_dict=self.model_state_dict())
        if save_param_scheduler and hasattr(self, 'param_schedulers'):
            checkpoint['param_schedulers'] = self.scheduler_state_dict()
        extra = dict(extra_ckpt or {})
        meta = dict(extra.pop('meta', {}))
        meta.update(
            seed=self.seed,
            time=time.strftime('%Y%m%d_%H%M%S', time.localtime()),
            mmengine=mmengine.__version__ + get_git_hash())
        folder = osp.dirname(osp.abspath(filename))
        if save_optimizer and hasattr(self, 'optim_wrapper'):
            name = shard_dir_name(meta.get('epoch', 0), meta.get('iter', 0))
            meta['sharded_state'] = dict(
                dir=name, world_size=get_world_size())
            write_shard(
                dict(optimizer=self.optim_wrapper.state_dict(),
                     meta=dict(epoch=meta.get('epoch'),
                               iter=meta.get('iter'))),
                osp.join(folder, name), get_rank(), get_world_size())
        checkpoint['meta'] = meta
        checkpoint.update(extra)
        if callback is not None:
            callback(checkpoint)
        dist.barrier()  # every shard is on disk before the file names them
        if is_main_process():
            save_checkpoint_atomic(checkpoint, filename)
            prune_shard_dirs(folder, self.keep_sharded_states)
        dist.barrier()

    def model_state_dict(self) -> dict:
        """The full, unsharded state dict (on rank 0; empty elsewhere)."""
        with FSDP.state_dict_type(self.model, StateDictType.FULL_STATE_DICT,
                                  FullStateDictConfig(
                                      rank0_only=True, offload_to_cpu=True)):
            return self.model.state_dict()

    def load_checkpoint(self, filename: str, **kwargs) -> dict:
        """Loads a consolidated file's weights into the sharded model.

        Args:
            filename (str): A consolidated (or any full-weights) checkpoint.
            **kwargs: ``map_location``, ``strict``, ``revise_keys`` and
                ``callback``, as in MMEngine's strategies.

        Returns:
            dict: The checkpoint without ``state_dict``; with ``optimizer``
            (this rank's shard) while resuming.

        Raises:
            ShardedLoadError: Missing or wrong-shaped tensors.
            ShardedStateError: A resume without usable shards.
        """
        self.logger.info(f'Load checkpoint from {filename}')
        checkpoint = load_checkpoint_file(filename)
        callback = kwargs.get('callback')
        if callback is not None:
            callback(checkpoint)
        state = checkpoint.pop('state_dict', checkpoint)
        for pattern, replacement in kwargs.get('revise_keys',
                                               [(r'^module.', '')]):
            state = {re.sub(pattern, replacement, key): value
                     for key, value in state.items()}
        misfits = _misfits(self._full_shapes, state)
        if misfits:
            raise ShardedLoadError(
                f'checkpoint {filename} does not fit the model '
                f'({len(misfits)} tensors): {", ".join(misfits[:8])}')
        with FSDP.state_dict_type(self.model, StateDictType.FULL_STATE_DICT,
                                  FullStateDictConfig(rank0_only=False)):
            self.model.load_state_dict(state,
                                       strict=kwargs.get('strict', False))
        if self._resuming_optimizer:
            shard = read_shard(filename, checkpoint.get('meta', {}),
                               get_rank(), get_world_size())
            checkpoint['optimizer'] = shard['optimizer']
        return checkpoint

    def resume(self, filename: str, *, resume_optimizer: bool = True,
               resume_param_scheduler: bool = True,
               map_location: Union[str, Callable] = 'default',
               callback: Optional[Callable] = None) -> dict:
        """MMEngine's resume with this rank's optimiser shard.

        Args:
            filename (str): The consolidated checkpoint.
            resume_optimizer (bool): Restore the optimiser shard.
            resume_param_scheduler (bool): Restore the schedulers.
            map_location (str | Callable): Unused (CPU, then FSDP places).
            callback (Callable, optional): ``after_load_checkpoint`` hooks.
        """
        self._resuming_optimizer = resume_optimizer
        try:
            return super().resume(
                filename,
                resume_optimizer=resume_optimizer,
                resume_param_scheduler=resume_param_scheduler,
                map_location=map_location,
                callback=callback)
        finally:
            self._resuming_optimizer = False

    def load_optim_state_dict(self, state_dict: dict) -> None:
        """Loads this rank's own optimiser shard as it was saved.

        Args:
            state_dict (dict): The wrapper's state dict from the shard.
        """
        self.optim_wrapper.load_state_dict(state_dict)
