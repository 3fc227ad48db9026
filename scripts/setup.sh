#!/usr/bin/env bash
# Create (or refresh) the project's virtual environment from the pinned files.
#   scripts/setup.sh          -> .venv with requirements.txt (what a reader needs)
#   scripts/setup.sh --dev    -> .venv with requirements-dev.txt (adds the test tools)
#   scripts/setup.sh --system -> --dev, plus the system packages the tests need (chromium, npm)
# One environment serves both: once the test tools are installed they stay, and a later
# reader-mode call counts them as up to date (it never reinstalls or downgrades anything).
# Nothing is installed unless the pinned files changed since the last install; the script says
# which set it installs, or "environment up to date".
# Python 3.11 is the tested version (runtime.txt); newer versions are accepted with a warning.
# PYTHON=/path/to/python chooses the interpreter, VENV=DIR the environment (default .venv).
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
if ! command -v "$PYTHON" >/dev/null; then
  echo "setup.sh: $PYTHON not found (Debian: apt-get install -y python3 python3-venv)" >&2; exit 1
fi
pyver=$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
case "$pyver" in
  3.11) ;;
  3.1[2-9]|3.[2-9][0-9]|[4-9].*)
    echo "setup.sh: warning: $PYTHON is Python $pyver; the book is tested on 3.11 only" >&2 ;;
  *) echo "setup.sh: $PYTHON is Python $pyver; Python 3.11 is required" >&2; exit 1 ;;
esac

if [ "$system" = 1 ]; then
  bash scripts/install-chromium.sh
fi

VENV=${VENV:-.venv}
if [ ! -x "$VENV/bin/python" ]; then
  if ! "$PYTHON" -m venv "$VENV"; then
    rm -rf "$VENV"  # a half-made venv (no pip) would look usable next time
    echo "setup.sh: could not create $VENV (Debian: apt-get install -y python3-venv)" >&2; exit 1
  fi
fi
# Which set this environment must hold: the test set if it was ever asked for here (the marker
# keeps it), else the reader set. The stamp records the pinned files the set was installed from.
marker="$VENV/.ice287g-dev-set"
[ "$dev" = 1 ] && touch "$marker"
set_name=reader; req=requirements.txt
if [ -f "$marker" ]; then set_name=test; req=requirements-dev.txt; fi
pins=$(cat requirements.txt requirements-dev.txt constraints.txt pyproject.toml | sha256sum | cut -c1-16)
stamp="$VENV/.installed-$pins-$set_name"
if [ -f "$stamp" ]; then
  echo "setup.sh: environment up to date ($set_name set in $VENV)"
else
  echo "setup.sh: installing the $set_name set ($req) into $VENV"
  "$VENV/bin/python" -m pip install --quiet --upgrade pip
  "$VENV/bin/python" -m pip install --quiet -r "$req"
  # Editable install of our own package, so that edits to ice287g/ take effect at once.
  "$VENV/bin/python" -m pip install --quiet --no-deps -e .
  rm -f "$VENV"/.installed-*
  touch "$stamp"
fi

# `jupyter lab`, as the README writes it, also as root (the test command needs root for
# apt-get): Jupyter refuses root unless allowed, so this environment's own Jupyter config
# allows it. It affects this venv only; the server still listens on localhost with a token.
# (jupyter_server reads allow_root from jupyter_server_config.json, not from its .d folder.)
mkdir -p "$VENV/etc/jupyter"
printf '{"ServerApp": {"allow_root": true}}\n' > "$VENV/etc/jupyter/jupyter_server_config.json"

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
  lock="node_modules/.installed-$(sha256sum package-lock.json | cut -c1-16)"
  if [ -f "$lock" ]; then
    echo "setup.sh: node_modules up to date (package-lock.json)"
  else
    echo "setup.sh: installing node_modules from package-lock.json (npm ci)"
    npm ci --no-audit --no-fund --silent
    touch "$lock"
  fi
fi
