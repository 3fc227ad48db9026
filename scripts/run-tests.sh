#!/usr/bin/env bash
# Set up the environment (pinned Python packages and Debian's chromium) and run every test.
# Extra arguments go to pytest (e.g. scripts/run-tests.sh -m "not slow").
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --system
# pytest exits 5 when it collected no tests: that is a failure too (set -e).
.venv/bin/python -m pytest "$@"
