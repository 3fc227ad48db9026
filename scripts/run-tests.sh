#!/usr/bin/env bash
# Set up the environment (pinned Python packages and Debian's chromium) and run every test.
# Extra arguments go to pytest (e.g. scripts/run-tests.sh -m "not slow").
# The tests run on every core (pytest-xdist, -n auto: two workers on a 2-core machine; a later
# -n in the arguments wins). tests/run_once.py makes the book's build, the hostile book and the
# fresh venvs once per run for both workers, in the background while the tests that need none
# of them run, and prints "[setup] ..." lines as they go; tests/conftest.py keeps the tests
# that share a page's visit or a venv on one worker (--dist loadgroup). The 15 slowest tests
# (setup included) are listed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --system
start=$SECONDS
# pytest exits 5 when it collected no tests: that is a failure too (set -e).
status=0
.venv/bin/python -m pytest -n auto --dist loadgroup --durations=15 "$@" || status=$?
echo "run-tests: pytest took $(( (SECONDS - start) / 60 )) min $(( (SECONDS - start) % 60 )) s (exit $status)"
exit $status
