"""Outgoing connections to servers outside Rendezvous: the public-address guard, ICS and CalDAV.

No Flask, no DB: operations (calendar import, webhook URL checks) and delivery call these clients
with plain values. ICS and CalDAV use only the standard library; Google Calendar and Microsoft
Graph (oauth_flow, google_calendar, microsoft_calendar) go through Authlib and httpx.
"""
