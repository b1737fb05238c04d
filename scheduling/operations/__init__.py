"""Use cases: load rows, call pure code, mutate, flush. Never commit: the web or CLI edge does.

They import models, the pure packages and remote clients, never web, delivery or cli: what must
be sent is written as an outbox row in the same transaction, and the worker sends it.
"""
