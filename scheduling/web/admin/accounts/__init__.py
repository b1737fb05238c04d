"""Admin: signing in (password, TOTP), one own account, and the users of the organisation."""
