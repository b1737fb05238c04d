"""Admin: privacy, the documents generated from the live configuration (documents_*.py)."""
