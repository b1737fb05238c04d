"""Outgoing connections to servers outside Rendezvous: the public-address guard, ICS and CalDAV.

No Flask, no DB: operations (calendar import, webhook URL checks) and delivery call these clients
with plain values; they import only the standard library.
"""
