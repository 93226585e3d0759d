"""Per-rank bytes of parameters + gradients + optimiser state, DDP vs FSDP.

Measured (one AdamW step on random input, then every tensor the rank holds
is counted) under torchrun, one row per (mode, world size)::

    python -m torch.distributed.run --nproc_per_node 2 \\
        tools/analysis_tools/fsdp_memory.py configs/da2zoe_vits_nyu.py \\
        --train-encoder --mode fsdp

Rank 0 prints a JSON line: parameter, gradient and optimiser bytes on that
rank, their total and bytes per model parameter. Activations are not
counted (they depend on batch and size, not on sharding).
"""
import argparse
import json

import torch
import torch.distributed as dist
from mmengine.config import Config
from torch.distributed.fsdp import FullyShardedDataParallel as FSDP
from torch.nn.parallel import DistributedDataParallel as DDP

import da2zoe.engine  # noqa: F401 (registers the constructor)
from da2zoe.engine.strategies import depth_wrap_policy
from da2zoe.registry import MODELS, OPTIM_WRAPPER_CONSTRUCTORS


def _bytes(tensors) -> int:
    return sum(t.numel() * t.element_size() for t in tensors)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('--mode', choices=('ddp', 'fsdp'), default='fsdp')
    parser.add_argument('--train-encoder', action='store_true')
    parser.add_argument('--size', type=int, default=56)
    args = parser.parse_args()
    dist.init_process_group('gloo')
    cfg = Config.fromfile(args.config)
    if args.train_encoder:
        cfg.model.backbone.frozen = False
    cfg.model.pop('pretrained', None)
    cfg.model.backbone.pop('init_cfg', None)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    total = sum(p.numel() for p in model.parameters())
    optim_cfg = cfg.optim_wrapper.copy()
    constructor = OPTIM_WRAPPER_CONSTRUCTORS.build(dict(
        type=optim_cfg.pop('constructor', 'DepthOptimWrapperConstructor'),
        optim_wrapper_cfg=optim_cfg,
        paramwise_cfg=optim_cfg.pop('paramwise_cfg', None)))
    if args.mode == 'fsdp':
        wrapped = FSDP(model, auto_wrap_policy=depth_wrap_policy(model),
                       use_orig_params=True, device_id=torch.device('cpu'))
    else:
        wrapped = DDP(model, find_unused_parameters=True)
    optimizer = constructor(wrapped).optimizer
    inputs = torch.randn(1, 3, args.size, args.size)
    out = wrapped(inputs, mode='tensor')
    out = out['metric_depth'] if isinstance(out, dict) else out
    out.float().mean().backward()
    optimizer.step()
    params = [p for p in wrapped.parameters()]
    grads = [p.grad for p in params if p.grad is not None]
    states = [v for s in optimizer.state.values() for v in s.values()
              if torch.is_tensor(v) and v.numel() > 1]
    row = dict(config=args.config, mode=args.mode,
               world_size=dist.get_world_size(), model_params=total,
               param_bytes=_bytes(params), grad_bytes=_bytes(grads),
               optim_bytes=_bytes(states))
    row['total_bytes'] = row['param_bytes'] + row['grad_bytes'] + \
        row['optim_bytes']
    row['bytes_per_param'] = round(row['total_bytes'] / total, 3)
    if dist.get_rank() == 0:
        print(json.dumps(row), flush=True)
    dist.destroy_process_group()


if __name__ == '__main__':
    main()
