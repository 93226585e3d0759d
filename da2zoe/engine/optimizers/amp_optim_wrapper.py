"""Mixed precision optimiser wrapper that also runs on CPUs."""
from contextlib import contextmanager
from typing import Optional, Union

import torch
import torch.nn as nn

from da2zoe.registry import OPTIM_WRAPPERS
from .depth_optim_wrapper import DepthOptimWrapper

_DTYPES = {'bfloat16': torch.bfloat16, 'float16': torch.float16}


def resolve_amp_dtype(dtype: Union[str, torch.dtype],
                      device_type: str) -> torch.dtype:
    """Turns ``'auto'``/``'bfloat16'``/``'float16'`` into a dtype.

    ``'auto'`` is bfloat16 where the device supports it (CPUs, CUDA GPUs
    from Ampere on) and float16 on older GPUs.

    Args:
        dtype (str | torch.dtype): Requested autocast dtype.
        device_type (str): ``'cpu'``, ``'cuda'``, ...

    Returns:
        torch.dtype: bfloat16 or float16.
    """
    if isinstance(dtype, torch.dtype):
        resolved = dtype
    elif dtype == 'auto':
        resolved = torch.bfloat16
        if device_type == 'cuda' and not torch.cuda.is_bf16_supported():
            resolved = torch.float16
    elif dtype in _DTYPES:
        resolved = _DTYPES[dtype]
    else:
        raise ValueError(f"dtype must be 'auto', 'bfloat16' or 'float16', "
                         f'got {dtype!r}')
    if resolved not in _DTYPES.values():
        raise ValueError(f'autocast dtype must be bfloat16 or float16, got '
                         f'{resolved}')
    if device_type == 'cpu' and resolved == torch.float16:
        raise ValueError(
            "DepthAmpOptimWrapper: dtype='float16' is not supported on the "
            "CPU. Use dtype='bfloat16' (or 'auto'), which CPU autocast runs "
            'natively and which needs no loss scaling.')
    return resolved


@OPTIM_WRAPPERS.register_module()
class DepthAmpOptimWrapper(DepthOptimWrapper):
    """Automatic mixed precision on CPUs and GPUs.

    MMEngine's ``AmpOptimWrapper`` refuses to run without an accelerator;
    this one autocasts on whatever device the run uses:

    - bfloat16 (CPU, or GPU): ``torch.autocast`` only, no loss scaler;
    - float16 (GPU only): autocast plus a ``torch.amp.GradScaler``, as in
      MMEngine's ``AmpOptimWrapper`` (gradients unscaled before clipping,
      the scaler's state saved in the optimiser state dict).

    The forward pass runs under autocast through :meth:`optim_context`, which
    MMEngine's ``BaseModel.train_step`` enters around data preprocessing and
    the loss computation; the losses cast their inputs up and stay float32.
    Accumulation, clipping and the non-finite guard work as in
    :class:`DepthOptimWrapper`.

    Args:
        dtype (str | torch.dtype): ``'auto'`` (bfloat16 where supported, else
            float16), ``'bfloat16'`` or ``'float16'``. Defaults to 'auto'.
        loss_scale (str | float | dict): float16 only: ``'dynamic'``, a fixed
            initial scale, or ``GradScaler`` arguments. Defaults to 'dynamic'.
        device_type (str, optional): Autocast device; defaults to 'cuda' when
            CUDA is available, else 'cpu'.
        **kwargs: :class:`DepthOptimWrapper` arguments (``optimizer``,
            ``accumulative_counts``, ``clip_grad``, ``skip_nonfinite``,
            ``max_consecutive_nonfinite``).
    """

    def __init__(self,
                 dtype: Union[str, torch.dtype] = 'auto',
                 loss_scale: Union[str, float, dict] = 'dynamic',
                 device_type: Optional[str] = None,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if device_type is None:
            device_type = 'cuda' if torch.cuda.is_available() else 'cpu'
        self.device_type = device_type
        self.cast_dtype = resolve_amp_dtype(dtype, device_type)
        self._scale_update_param = None
        self.loss_scaler: Optional[torch.amp.GradScaler] = None
        if self.cast_dtype == torch.float16:
            if loss_scale == 'dynamic':
                self.loss_scaler = torch.amp.GradScaler(device_type)
            elif isinstance(loss_scale, (int, float)):
                self._scale_update_param = float(loss_scale)
                self.loss_scaler = torch.amp.GradScaler(
                    device_type, init_scale=float(loss_scale))
            elif isinstance(loss_scale, dict):
                self.loss_scaler = torch.amp.GradScaler(
                    device_type, **loss_scale)
            else:
                raise TypeError('loss_scale must be "dynamic", a float or a '
                                f'dict, got {loss_scale!r}')

    def _guards_grad_norm(self) -> bool:
        return self.skip_nonfinite and self.loss_scaler is None

    def backward(self, loss: torch.Tensor, **kwargs) -> None:
        """Backward, through the loss scaler for float16."""
        if self.loss_scaler is not None:
            loss = self.loss_scaler.scale(loss)
        loss.backward(**kwargs)
        self._inner_count += 1

    def step(self, **kwargs) -> None:
        """Steps; with float16, unscales before clipping and lets the scaler
        skip steps with non-finite gradients."""
        if self.loss_scaler is None:
            super().step(**kwargs)
            return
        if self.clip_grad_kwargs:
            self.loss_scaler.unscale_(self.optimizer)
            self._clip_grad()
        self.loss_scaler.step(self.optimizer, **kwargs)
        self.loss_scaler.update(self._scale_update_param)

    def state_dict(self) -> dict:
        """Optimiser state, plus ``loss_scaler`` with float16."""
        state_dict = super().state_dict()
        if self.loss_scaler is not None:
            state_dict['loss_scaler'] = self.loss_scaler.state_dict()
        return state_dict

    def load_state_dict(self, state_dict: dict) -> None:
        """Loads optimiser state; the scaler's when both sides have one."""
        state_dict = dict(state_dict)
        scaler_state = state_dict.pop('loss_scaler', None)
        if scaler_state is not None and self.loss_scaler is not None:
            self.loss_scaler.load_state_dict(scaler_state)
        super().load_state_dict(state_dict)

    @contextmanager
    def optim_context(self, model: nn.Module):
        """Gradient-sync control (accumulation) and autocast."""
        with super().optim_context(model), torch.autocast(
                device_type=self.device_type, dtype=self.cast_dtype):
            yield
