#!/usr/bin/env bash
# Distributed training through torchrun:
#   tools/dist_train.sh CONFIG GPUS [tools/train.py options]
#
# GPUS is the number of processes on this node: one per GPU with CUDA (NCCL),
# or the number of CPU worker processes on a CPU-only machine (gloo; see
# da2zoe/cli/runner_setup.py, env_cfg.dist_cfg.backend='auto').
# The batch size in the config is per process: the global batch is
# GPUS x NNODES x train_dataloader.batch_size.
#
# Environment:
#   NNODES (1), NODE_RANK (0), MASTER_ADDR (127.0.0.1), PORT (29500): torchrun
#     rendezvous; run the script once per node with its NODE_RANK.
#   OMP_NUM_THREADS: intra-op threads per process. When unset it is set to
#     max(1, cores / GPUS) so that the processes share the cores instead of
#     each starting one thread per core (torchrun would use 1).
#   PYTHON: the interpreter; default the repo's .venv/bin/python when it
#     exists (tools/setup_env.sh makes it), else python.
# Example: 2 processes on a CPU-only machine, port 29600:
#   PORT=29600 tools/dist_train.sh configs/da2zoe_tiny_synthetic.py 2 \
#       --work-dir work_dirs/tiny_ddp
set -euo pipefail

if [ "$#" -lt 2 ]; then
    echo "usage: $0 CONFIG GPUS [tools/train.py options]" >&2
    exit 2
fi
CONFIG=$1
GPUS=$2
if ! [[ "$GPUS" =~ ^[1-9][0-9]*$ ]]; then
    echo "$0: GPUS must be a positive integer, got '$GPUS'" >&2
    exit 2
fi
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-127.0.0.1}
if [ -z "${OMP_NUM_THREADS:-}" ]; then
    CORES=$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
    THREADS=$((CORES / GPUS))
    export OMP_NUM_THREADS=$((THREADS > 0 ? THREADS : 1))
fi
TOOLS=$(cd "$(dirname "$0")" && pwd)
if [ -z "${PYTHON:-}" ]; then
    if [ -x "$TOOLS/../.venv/bin/python" ]; then
        PYTHON="$TOOLS/../.venv/bin/python"
    else
        PYTHON=python
    fi
fi

PYTHONPATH="$TOOLS/..${PYTHONPATH:+:$PYTHONPATH}" \
exec "$PYTHON" -m torch.distributed.run \
    --nnodes "$NNODES" \
    --node_rank "$NODE_RANK" \
    --master_addr "$MASTER_ADDR" \
    --nproc_per_node "$GPUS" \
    --master_port "$PORT" \
    "$TOOLS/train.py" \
    "$CONFIG" \
    --launcher pytorch \
    "${@:3}"
