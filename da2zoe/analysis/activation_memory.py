"""Activation memory of a training step, counted without a GPU.

The bytes a training step holds between its forward and its backward are
the tensors autograd saves for the backward pass. :func:`saved_tensor_bytes`
counts them exactly with :func:`torch.autograd.graph.saved_tensors_hooks`,
once per storage (a view saved by several ops, or the same output saved as
one op's result and the next op's input, is counted once). The count is a
property of the graph, not of the device: it is what a CUDA run of the same
model, input size and dtype holds at the end of its forward, which is where
a training step's memory peaks (plus the transient workspace of the largest
kernel, see :func:`largest_batch`).

Parameters, gradients and optimiser state are counted elsewhere
(``tools/analysis_tools/fsdp_memory.py``: 16 bytes per trained parameter
with AdamW in float32, divided by the world size under FSDP).
"""
from collections.abc import Callable, Iterable
from typing import Optional

import torch

GB = 1e9


def _storage_key(tensor: torch.Tensor) -> tuple:
    storage = tensor.untyped_storage()
    return (tensor.device.type, storage.data_ptr(), storage.nbytes())


def saved_tensor_bytes(step: Callable[[], torch.Tensor],
                       exclude: Iterable[torch.Tensor] = ()) -> int:
    """Bytes of the distinct storages autograd saves during ``step``.

    Args:
        step (Callable[[], Tensor]): Runs a forward pass and returns a
            scalar loss (not backpropagated here).
        exclude (Iterable[Tensor]): Tensors held anyway (the parameters
            and buffers, which a linear layer saves for its backward):
            not counted.

    Returns:
        int: Bytes held for the backward pass (each storage once).
    """
    held = {_storage_key(t) for t in exclude if t.numel()}
    seen: dict = {}

    def pack(tensor: torch.Tensor) -> torch.Tensor:
        if tensor.layout == torch.strided and tensor.numel():
            key = _storage_key(tensor)
            if key not in held:
                seen[key] = key[2]
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        loss = step()
    if not loss.requires_grad:
        raise ValueError('the step built no autograd graph (nothing is '
                         'trained): unfreeze a part of the model')
    del loss
    return sum(seen.values())


def largest_batch(card_bytes: float,
                  state_bytes: float,
                  activation_bytes_per_sample: float,
                  reserve_bytes: float = 2.0 * GB,
                  gathered_bytes: float = 0.0) -> int:
    """The largest batch per GPU that fits a card, as an estimate.

    Args:
        card_bytes (float): The card's memory.
        state_bytes (float): Parameters + gradients + optimiser state held by
            one rank (sharded under FSDP).
        activation_bytes_per_sample (float): :func:`saved_tensor_bytes` per
            image at the training crop.
        reserve_bytes (float): CUDA context, allocator fragmentation and the
            largest transient workspace. Defaults to 2 GB.
        gathered_bytes (float): FSDP's all-gathered unit(s) in flight
            (parameters and their gradients). Defaults to 0.

    Returns:
        int: The batch (0 when not even one image fits).
    """
    free = card_bytes - state_bytes - reserve_bytes - gathered_bytes
    if free <= 0 or activation_bytes_per_sample <= 0:
        return 0
    return int(free // activation_bytes_per_sample)


def fsdp_state_bytes(trained_params: int,
                     total_params: int,
                     world_size: int,
                     sharded: bool,
                     bytes_per_trained: int = 16,
                     bytes_per_frozen: int = 4) -> float:
    """Per-rank bytes of weights, gradients and AdamW state (float32).

    Args:
        trained_params (int): Parameters with gradients.
        total_params (int): All parameters.
        world_size (int): Ranks.
        sharded (bool): FSDP (divided by the world size) or DDP (not).
        bytes_per_trained (int): Weight + gradient + two AdamW moments.
            Defaults to 16 (measured, docs/fsdp.md).
        bytes_per_frozen (int): A frozen parameter's weight. Defaults to 4.

    Returns:
        float: Bytes on one rank.
    """
    full = (trained_params * bytes_per_trained +
            (total_params - trained_params) * bytes_per_frozen)
    return full / world_size if sharded else float(full)


def trained_parameter_count(model: torch.nn.Module,
                            prefix: Optional[str] = None) -> int:
    """Parameters with ``requires_grad``, optionally under ``prefix``.

    Args:
        model (nn.Module): The model.
        prefix (str, optional): Only names starting with it.
    """
    return sum(p.numel() for name, p in model.named_parameters()
               if p.requires_grad and (prefix is None or
                                       name.startswith(prefix)))
