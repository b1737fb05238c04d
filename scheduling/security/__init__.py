"""Pure cryptography helpers: booking-link tokens, webhook signatures, secrets encrypted at rest.

Pure: no Flask, no DB, no clock; each function takes the key it needs as an argument. Anything in
the app may import it; it imports only the standard library and `cryptography`.
"""
