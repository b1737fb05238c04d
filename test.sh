#!/usr/bin/env bash
# Run the whole test suite (SQLite by default; set DATABASE_URL to a PostgreSQL URL for that leg).
set -euo pipefail
cd "$(dirname "$0")"
./scripts/bootstrap.sh
exec .venv/bin/python -m pytest "$@"
