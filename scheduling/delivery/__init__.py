"""The outbox worker and what it delivers: emails (SMTP or files), webhooks, CalDAV write-back.

It may import models, operations, remote clients, security helpers and web.urls (for links in
emails); operations never import it: they write outbox rows, and the worker sends them.
"""
