#!/usr/bin/env bash
# Install mlb_assets into ./.venv if needed and run the test suite. Extra arguments go to pytest.
#   MLB_ASSETS_ARCHIVE_DIR        mirror of the public archives (tests on real data)
#   MLB_ASSETS_TEST_DATABASE_URL  a Postgres database the tests may write to
# Without them those tests are skipped, except under CI=true, where they fail.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[test]'
exec .venv/bin/python -m pytest "$@"
