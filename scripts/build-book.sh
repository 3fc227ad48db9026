#!/usr/bin/env bash
# Set up the environment from the pinned files and build the book into _build/html.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/jupyter-book build . -W --keep-going "$@"
# The Spanish edition: the same sources and notebooks, in Spanish, into _build/html/es
# (tools/editions.py; its prose is in locales/es/).
.venv/bin/python tools/editions.py build es -W --keep-going
echo "The book is in _build/html/index.html (en español: _build/html/es/index.html)"
