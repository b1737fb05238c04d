"""Gunicorn settings for Rendezvous: `gunicorn -c deploy/gunicorn.conf.py app:app`.

Meant to run behind the reverse proxy of deploy/nginx.conf or deploy/Caddyfile, which buffers
slow clients, so plain sync workers suffice. Environment overrides: RENDEZVOUS_BIND,
WEB_CONCURRENCY (workers).
"""

import multiprocessing
import os

# Loopback only: the proxy in front terminates TLS and passes X-Forwarded-*.
bind = os.environ.get("RENDEZVOUS_BIND", "127.0.0.1:8000")
# About 78 (SQLite) to 85 MiB (PostgreSQL) resident each under load; 2 per core + 1, at most 8,
# unless WEB_CONCURRENCY says.
workers = int(os.environ.get("WEB_CONCURRENCY", min(2 * multiprocessing.cpu_count() + 1, 8)))
worker_class = "sync"
# Each worker opens its own database pool after the fork (no connection shared across processes).
preload_app = False
timeout = 30
graceful_timeout = 30
# Recycle workers now and then so slow memory growth never piles up; jitter avoids all at once.
max_requests = 2000
max_requests_jitter = 200
# The proxy's address: gunicorn then trusts its X-Forwarded-Proto for the request's scheme.
# The app's TRUSTED_PROXIES=1 (werkzeug ProxyFix) reads X-Forwarded-For, -Proto and -Host too.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
accesslog = "-"
errorlog = "-"
loglevel = "info"
# Requests are small (forms, JSON); refuse absurd header sizes early.
limit_request_line = 8190
limit_request_fields = 100
