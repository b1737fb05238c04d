"""Admin: privacy. Data subject requests (admins only: find, export, rectify and erase one
person's data, and the erasure requests invitees make from their booking page; privacy_*.py)
and the documents generated from the live configuration (admins and managers; documents_*.py)."""
