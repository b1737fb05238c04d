#!/usr/bin/env bash
# Create .venv and install the pinned requirements; does nothing when they are already installed.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "Rendezvous needs Python 3.11 or newer as '$PYTHON' (set PYTHON=/path/to/python3.11)." >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv || {
    echo "Could not create a virtualenv. On Debian/Ubuntu: apt-get install python3-venv" >&2
    exit 1
  }
fi
stamp=.venv/.requirements.sha256
want=$(sha256sum requirements.txt | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
  echo "$want" > "$stamp"
fi
# Compiled catalogues (.mo) are built here, never committed: again whenever a .po is newer.
for po in scheduling/web/translations/*/LC_MESSAGES/messages.po; do
  [ -e "$po" ] || continue
  if [ ! -e "${po%.po}.mo" ] || [ "$po" -nt "${po%.po}.mo" ]; then
    .venv/bin/pybabel -q compile -d scheduling/web/translations
    break
  fi
done
