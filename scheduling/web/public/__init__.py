"""The visitor's booking flow: server-rendered, cookie-free, working without JavaScript.

The `public` blueprint, including embed mode (embed_mode.py); it imports operations and web
plumbing, never another blueprint.
"""
