#!/usr/bin/env bash
# Sets up ./.venv if needed, then runs the zero-download demo: synthetic
# RGB-D scenes -> a short training run -> evaluation next to baselines.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/tools/setup_env.sh"
cd "$ROOT"
exec "$ROOT/.venv/bin/python" tools/demo.py "$@"
