"""Privacy (admins only): data subject requests, i.e. find, export, rectify and erase one
person's data, and the erasure requests invitees make from their booking page."""
