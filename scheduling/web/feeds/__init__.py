"""Subscription feeds (webcal): secret URLs, no cookies, conditional answers."""
