"""Talking to calendar servers outside Rendezvous (ICS over HTTPS, CalDAV)."""
