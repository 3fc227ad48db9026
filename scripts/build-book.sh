#!/usr/bin/env bash
# Set up the environment from the pinned files and build the book: both editions, into
# _build/html (English) and _build/html/es (Spanish).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Both editions, each in its own process by Jupyter Book's command line, side by side: English
# exactly as `jupyter-book build .` builds it, into _build/html, and Spanish, the same sources
# and notebooks in Spanish, into _build/html/es (tools/editions.py; its prose is in locales/es/).
# Extra arguments go to tools/editions.py, e.g. `--all` to re-read every page.
.venv/bin/python tools/editions.py build en es -W --keep-going "$@"
