"""The visitor's booking flow: server-rendered, cookie-free, working without JavaScript.

The `public` blueprint (views.py), including embed mode (embed_mode.py) and the invitee's own
data (my_data.py, which registers its routes on the same blueprint); it imports operations and
web plumbing, never another blueprint.
"""

from . import my_data  # noqa: F401  (registers the my-data routes on views.bp)
