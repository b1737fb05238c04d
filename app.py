"""WSGI entry point: `flask --app app ...` and `gunicorn app:app`."""

from scheduling import create_app
from scheduling.web.startup import refuse_to_serve_unless_ready

app = create_app()
refuse_to_serve_unless_ready(app)
