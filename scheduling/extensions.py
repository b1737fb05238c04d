"""Flask extensions, created unbound and initialised by the factory."""

import click
from flask_babel import Babel
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class _MigrateCommands(click.Group):
    """`flask db ...`: Flask-Migrate's own group, imported when the command is run."""

    def make_context(self, info_name, args, parent=None, **extra):
        from flask_migrate.cli import db as commands

        return commands.make_context(info_name, args, parent=parent, **extra)


class _PendingMigrateConfig:
    """Stands in app.extensions["migrate"] until Flask-Migrate is first asked for something."""

    def __init__(self, owner: "LazyMigrate", app, db, kwargs: dict):
        self._start = (owner, app, db, kwargs)

    def __getattr__(self, name):
        if name.startswith("__") or name == "_start":  # copy/pickle probes: no import for those
            raise AttributeError(name)
        owner, app, db, kwargs = self._start
        owner.real().init_app(app, db, **kwargs)  # puts the real config in app.extensions
        return getattr(app.extensions["migrate"], name)


class LazyMigrate:
    """Flask-Migrate without importing it up front: it loads Alembic, about 10 MB in every
    process, and web workers never migrate. `flask db` and Flask-Migrate's functions load it."""

    def __init__(self):
        self._migrate = None

    def real(self):
        if self._migrate is None:
            from flask_migrate import Migrate

            self._migrate = Migrate()
        return self._migrate

    def init_app(self, app, db, **kwargs):
        app.extensions["migrate"] = _PendingMigrateConfig(self, app, db, kwargs)
        app.cli.add_command(_MigrateCommands("db", help="Database migrations (Alembic)."))


db = SQLAlchemy(model_class=Base)
migrate = LazyMigrate()
csrf = CSRFProtect()
babel = Babel()


@event.listens_for(Engine, "connect")
def _on_connect(dbapi_connection, connection_record):
    """SQLite: let SQLAlchemy, not pysqlite, issue BEGIN (for BEGIN IMMEDIATE). PostgreSQL: UTC."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()
    elif type(dbapi_connection).__module__.startswith("psycopg"):
        # Sessions in UTC: psycopg then hands back datetimes in datetime.UTC itself, which the
        # busy-time reader keeps as they are instead of converting thousands per request.
        autocommit = dbapi_connection.autocommit
        dbapi_connection.autocommit = True
        dbapi_connection.execute("SET TIME ZONE 'UTC'")
        dbapi_connection.autocommit = autocommit


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn):
    if conn.dialect.name == "sqlite":
        immediate = conn.get_execution_options().get("sqlite_immediate")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
