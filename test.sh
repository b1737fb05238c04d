#!/usr/bin/env bash
# Run the whole test suite (SQLite by default; set DATABASE_URL to a PostgreSQL URL for that leg).
set -euo pipefail
cd "$(dirname "$0")"
./scripts/bootstrap.sh
# Mozilla's ical.js reads our feeds in some tests (Node.js and npm needed; pinned in the lock file).
if [ ! -d tests/js/node_modules ] && command -v npm >/dev/null; then
  npm ci --prefix tests/js --no-audit --no-fund --silent
fi
# Browser tests need Debian's Chromium at /usr/bin/chromium (apt-get install -y chromium); without
# it they are skipped with that reason, except under CI (.ci/run installs it), where they fail.
exec .venv/bin/python -m pytest "$@"
