#!/usr/bin/env bash
# Create (or refresh) the project's virtual environment from the pinned files.
#   scripts/setup.sh          -> .venv with requirements.txt (what a reader needs)
#   scripts/setup.sh --dev    -> .venv with requirements-dev.txt (adds the test tools)
#   scripts/setup.sh --system -> also installs the system packages the tests need (chromium)
# Python 3.11 or newer is required (PYTHON=/path/to/python to choose one).
set -euo pipefail
cd "$(dirname "$0")/.."

dev=0; system=0
for arg in "$@"; do
  case "$arg" in
    --dev) dev=1 ;;
    --system) system=1; dev=1 ;;
    *) echo "setup.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
  echo "setup.sh: $PYTHON is not Python 3.11 or newer" >&2; exit 1
fi

if [ "$system" = 1 ]; then
  bash scripts/install-chromium.sh
fi

VENV=${VENV:-.venv}
req=requirements.txt; [ "$dev" = 1 ] && req=requirements-dev.txt
stamp="$VENV/.installed-$(cat requirements.txt requirements-dev.txt constraints.txt pyproject.toml | sha256sum | cut -c1-16)-$dev"
if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi
if [ ! -f "$stamp" ]; then
  "$VENV/bin/python" -m pip install --quiet --upgrade pip
  "$VENV/bin/python" -m pip install --quiet -r "$req"
  # Editable install of our own package, so that edits to ice287g/ take effect at once.
  "$VENV/bin/python" -m pip install --quiet --no-deps -e .
  rm -f "$VENV"/.installed-*
  touch "$stamp"
fi

if [ "$dev" = 1 ]; then
  # The accessibility tests inject axe-core, pinned in package.json + package-lock.json.
  if ! command -v npm >/dev/null && [ "$system" = 1 ]; then
    SUDO=""; [ "$(id -u)" != 0 ] && SUDO=sudo
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq npm >/dev/null \
      || { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq npm >/dev/null; }
  fi
  if ! command -v npm >/dev/null; then
    echo "setup.sh: npm is missing (Debian: apt-get install -y npm); the accessibility tests need it" >&2
    exit 1
  fi
  npm ci --no-audit --no-fund --silent
fi
