"""JSON API v1: public slots and booking (views), the key-authenticated integration API, OpenAPI.

One blueprint `bp` (blueprint.py); importing the package registers every endpoint module on it.
Endpoint modules import operations, models and web plumbing, never another blueprint.
"""

from . import integration, openapi, views  # noqa: F401  (modules register their routes on bp)
from .blueprint import bp

__all__ = ["bp"]
