"""The web layer: request plumbing shared by the blueprints, and the blueprints themselves.

Plumbing (security headers and form tokens, input guards, error pages, links, formatting, CSV) may
import operations, models and the pure packages; the blueprints below it (admin, public, api,
feeds, embed) import plumbing and operations, never each other. Nothing outside web/ imports a
blueprint; delivery may import web.urls to build links in emails.
"""
