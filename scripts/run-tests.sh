#!/usr/bin/env bash
# Set up the environment (pinned Python packages and Debian's chromium) and run every test.
# Extra arguments go to pytest (e.g. scripts/run-tests.sh -m "not slow").
# Long session fixtures (the book's build, fresh venvs) print "[setup] ..." lines as they go;
# the 15 slowest tests (setup included) are listed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --system
start=$SECONDS
# pytest exits 5 when it collected no tests: that is a failure too (set -e).
status=0
.venv/bin/python -m pytest --durations=15 "$@" || status=$?
echo "run-tests: pytest took $(( (SECONDS - start) / 60 )) min $(( (SECONDS - start) % 60 )) s (exit $status)"
exit $status
