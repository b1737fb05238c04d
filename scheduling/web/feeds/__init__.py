"""Subscription feeds (webcal): secret URLs, no cookies, conditional answers.

The `feeds` blueprint; it imports operations, the ical package and web plumbing, never another
blueprint.
"""
