#!/usr/bin/env bash
# Sets up ./.venv if needed, then runs the whole test suite.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/tools/setup_env.sh"
cd "$ROOT"
# --durations: the slowest tests close the log, to keep the suite short.
exec "$ROOT/.venv/bin/python" -m pytest -q --durations=15 tests "$@"
