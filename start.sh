#!/usr/bin/env bash
# Set everything up and serve Rendezvous on http://127.0.0.1:5000 with SQLite and demo data.
# Running it again keeps the data (instance/rendezvous.db).
set -euo pipefail
cd "$(dirname "$0")"
./scripts/bootstrap.sh
export FLASK_APP=app
# Local demo over plain http: session cookies must not require https here.
export RENDEZVOUS_SESSION_COOKIE_SECURE=${RENDEZVOUS_SESSION_COOKIE_SECURE:-false}
# Links in emails and the demo's widget allowlist use this address (PORT=5055 ./start.sh moves it).
export RENDEZVOUS_PUBLIC_URL=${RENDEZVOUS_PUBLIC_URL:-http://127.0.0.1:${PORT:-5000}}
.venv/bin/flask db upgrade
.venv/bin/flask rendezvous demo
# The outbox worker delivers emails (to instance/mail/ unless MAIL_HOST is set), reminders and
# webhooks; it runs in the background and stops with the app.
.venv/bin/flask rendezvous worker --interval 5 &
worker=$!
trap 'kill "$worker" 2>/dev/null; wait "$worker" 2>/dev/null' EXIT
echo "Outbox worker started (pid $worker). Serving on $RENDEZVOUS_PUBLIC_URL (Ctrl+C stops both)."
.venv/bin/flask run --host 127.0.0.1 --port "${PORT:-5000}"
