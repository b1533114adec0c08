#!/usr/bin/env bash
# Install mlb_assets into ./.venv and run the main job (the 2016 season end to end).
# Needs Python 3.11+ and Java 17 (for H2O). Extra arguments go to `mlb-assets demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv with $($PYTHON --version)"
  "$PYTHON" -m venv .venv
fi
echo "==> installing mlb_assets and its dependencies (first time: a few minutes)"
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[test]'
echo "==> running the main job"
exec .venv/bin/mlb-assets demo "$@"
