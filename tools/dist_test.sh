#!/usr/bin/env bash
# Distributed evaluation through torchrun:
#   tools/dist_test.sh CONFIG CHECKPOINT GPUS [tools/test.py options]
#
# GPUS is the number of processes on this node: one per GPU with CUDA (NCCL),
# or the number of CPU worker processes on a CPU-only machine (gloo; see
# da2zoe/cli/runner_setup.py). The test set is split over the processes
# and the metrics are gathered on rank 0, which prints the table and writes
# --out-json; the numbers equal a 1-process tools/test.py run.
#
# Environment:
#   NNODES (1), NODE_RANK (0), MASTER_ADDR (127.0.0.1), PORT (29500): torchrun
#     rendezvous; run the script once per node with its NODE_RANK.
#   OMP_NUM_THREADS: intra-op threads per process. When unset it is set to
#     max(1, cores / GPUS) so that the processes share the cores instead of
#     each starting one thread per core (torchrun would use 1).
#   PYTHON: the interpreter; default the repo's .venv/bin/python when it
#     exists (tools/setup_env.sh makes it), else python.
# Example: 2 processes, metrics of NYU and DA-2K in one JSON:
#   tools/dist_test.sh configs/da2zoe_vitl_nyu.py ckpt.pth 2 \
#       --datasets nyu da2k --nyu-csv ... --nyu-root ... --da2k-root ... \
#       --out-json work_dirs/metrics.json
set -euo pipefail

if [ "$#" -lt 3 ]; then
    echo "usage: $0 CONFIG CHECKPOINT GPUS [tools/test.py options]" >&2
    exit 2
fi
CONFIG=$1
CHECKPOINT=$2
GPUS=$3
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
    "$TOOLS/test.py" \
    "$CONFIG" \
    "$CHECKPOINT" \
    --launcher pytorch \
    "${@:4}"
