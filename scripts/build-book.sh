#!/usr/bin/env bash
# Set up the environment from the pinned files and build the book into _build/html.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/jupyter-book build . -W --keep-going "$@"
echo "The book is in _build/html/index.html"
