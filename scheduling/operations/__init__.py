"""Use cases: load rows, call pure code, mutate, flush. Never commit: the web or CLI edge does."""
