#!/usr/bin/env bash
# The privacy self-audit of the demo landing page (issue 15.6), as .ci/run runs it: the app with
# demo data (SQLite in a temporary directory) on a free loopback port, then
# `flask rendezvous privacy-audit`, which prints the table and fails if the audit fails.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
server=
stop() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  [ -n "${KEEP_LOG:-}" ] && cp "$tmp/server.log" "$KEEP_LOG"
  rm -rf "$tmp"
}
trap stop EXIT
port=$(.venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export FLASK_APP=app
export DATABASE_URL="sqlite:///$tmp/demo.db"
export RENDEZVOUS_PUBLIC_URL="http://127.0.0.1:$port"
export RENDEZVOUS_SECRET_KEY
RENDEZVOUS_SECRET_KEY=$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(48))')
export RENDEZVOUS_SESSION_COOKIE_SECURE=false
.venv/bin/flask db upgrade >"$tmp/setup.log" 2>&1 || { cat "$tmp/setup.log"; exit 1; }
.venv/bin/flask rendezvous demo >>"$tmp/setup.log" 2>&1 || { cat "$tmp/setup.log"; exit 1; }
.venv/bin/flask run --host 127.0.0.1 --port "$port" >"$tmp/server.log" 2>&1 &
server=$!
for _ in $(seq 1 50); do
  .venv/bin/python -c "import urllib.request as u; u.urlopen('$RENDEZVOUS_PUBLIC_URL/static/demo/landing.html', timeout=1)" \
    2>/dev/null && break
  kill -0 "$server" 2>/dev/null || { cat "$tmp/server.log"; exit 1; }
  sleep 0.2
done
.venv/bin/flask rendezvous privacy-audit "$RENDEZVOUS_PUBLIC_URL/static/demo/landing.html"
