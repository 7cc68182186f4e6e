#!/usr/bin/env bash
# Builds (or reuses) a private virtualenv holding checkov.
# Why a separate venv: checkov pins an old `packaging` that conflicts with pulumi's requirements,
# so it cannot live in the project's environment. Prints the checkov executable's path.
set -euo pipefail

CHECKOV_VERSION="3.3.30"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${CHECKOV_VENV:-$ROOT/build/checkov-venv}"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
[ -x "$PYTHON" ] || PYTHON="$(command -v python3.12 || command -v python3)"

mkdir -p "$(dirname "$VENV")"
# Parallel test workers may ask at once: one builds, the others wait and reuse it.
exec 9>"$VENV.lock"
flock 9

installed_version() {
    "$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("checkov"))' 2>/dev/null || true
}

if [ "$(installed_version)" != "$CHECKOV_VERSION" ]; then
    "$PYTHON" -m venv --clear "$VENV" >&2
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "checkov==$CHECKOV_VERSION" >&2
fi
echo "$VENV/bin/checkov"
