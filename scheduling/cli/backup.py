"""`flask rendezvous backup PATH` and `restore PATH`: a consistent copy of the whole database.

SQLite is copied page by page with the online backup API, so the app may keep running while a
backup is taken. PostgreSQL goes through its own tools, `pg_dump --format=custom` and
`pg_restore --clean --if-exists` in one transaction, which must be at least the server's major
version (an older pg_dump refuses a newer server; we say so before it runs).
"""

import os
import re
import shutil
import subprocess
from pathlib import Path

import click
from sqlalchemy import text
from sqlalchemy.engine import URL

from scheduling.extensions import db

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_MAGIC = b"PGDMP"


def register_backup_commands(group) -> None:
    @group.command("backup")
    @click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
    def backup(path: Path):
        """Write a backup of the whole database to PATH (a new file)."""
        if path.exists():
            raise click.ClickException(f"{path} exists already; choose a new file name.")
        if not path.parent.is_dir():
            raise click.ClickException(f"The folder {path.parent} does not exist.")
        url = db.engine.url
        if url.get_backend_name() == "sqlite":
            _sqlite_backup(_sqlite_file(url), path)
        elif url.get_backend_name() == "postgresql":
            _pg_backup(url, path)
        else:
            raise click.ClickException(f"No backup for {url.get_backend_name()} databases.")
        click.echo(f"Backup written to {path} ({path.stat().st_size} bytes).")

    @group.command("restore")
    @click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
    def restore(path: Path, yes: bool):
        """Replace everything in the database with the backup in PATH.

        Stop the web processes and the worker first: on PostgreSQL their open connections
        would make the restore wait, and on both they would act on data that is replaced.
        """
        if not path.is_file():
            raise click.ClickException(f"{path} is not a file.")
        url = db.engine.url
        backend = url.get_backend_name()
        magic = path.read_bytes()[:16] if path.stat().st_size else b""
        if backend == "sqlite" and not magic.startswith(SQLITE_MAGIC):
            raise click.ClickException(f"{path} is not an SQLite backup.")
        if backend == "postgresql" and not magic.startswith(PG_MAGIC):
            raise click.ClickException(f"{path} is not a pg_dump custom-format backup.")
        if backend not in ("sqlite", "postgresql"):
            raise click.ClickException(f"No restore for {backend} databases.")
        target = url.render_as_string(hide_password=True)
        if not yes:
            click.confirm(f"Replace everything in {target} with {path}?", abort=True)
        # Our own connections must not hold locks (PostgreSQL) or a stale schema (SQLite).
        db.session.remove()
        if backend == "sqlite":
            _sqlite_restore(path, _sqlite_file(url))
        else:
            _pg_restore(url, path)
        db.engine.dispose()
        click.echo(f"Restored {target} from {path}.")


def _sqlite_file(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise click.ClickException("An in-memory SQLite database cannot be backed up.")
    return Path(url.database)


def _sqlite_backup(source: Path, path: Path) -> None:
    """Copy through a temporary file, so PATH is either absent or a complete backup."""
    import sqlite3  # here, not at import: web workers on PostgreSQL never load SQLite

    partial = path.with_name(path.name + ".partial")
    src = sqlite3.connect(source)
    try:
        dst = sqlite3.connect(partial)
        try:
            src.backup(dst)
        finally:
            dst.close()
        os.replace(partial, path)
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        raise click.ClickException(f"Backup failed: {exc}") from None
    finally:
        src.close()


def _sqlite_restore(path: Path, target: Path) -> None:
    """The backup API writes the copy into the live file under its lock, all or nothing."""
    import sqlite3

    src = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        check = src.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise click.ClickException(f"{path} is damaged: {check}")
        dst = sqlite3.connect(target, timeout=30)
        try:
            src.backup(dst)
        finally:
            dst.close()
    except sqlite3.DatabaseError as exc:
        raise click.ClickException(f"Restore failed: {exc}") from None
    finally:
        src.close()


def _pg_tool(name: str) -> tuple[str, int]:
    """The tool's path and major version, or a clear error."""
    found = shutil.which(name)
    if found is None:
        raise click.ClickException(
            f"{name} was not found on PATH: install the PostgreSQL client tools "
            f"(Debian/Ubuntu: apt install postgresql-client)."
        )
    # A tool found on PATH with fixed arguments, no shell.
    out = subprocess.run([found, "--version"], capture_output=True, text=True, check=False)  # noqa: S603
    match = re.search(r"\(PostgreSQL\)\s+(\d+)", out.stdout)
    if match is None:
        raise click.ClickException(f"Cannot tell the version of {found}: {out.stdout.strip()!r}")
    return found, int(match.group(1))


def _pg_call(name: str, url: URL, args: list[str]) -> None:
    tool, tool_major = _pg_tool(name)
    with db.engine.connect() as conn:
        server_major = int(conn.execute(text("SHOW server_version_num")).scalar()) // 10000
    if tool_major < server_major:
        raise click.ClickException(
            f"{name} is version {tool_major} but the server is {server_major}: install the "
            f"client tools of version {server_major} or newer."
        )
    # libpq's URL; the password goes through the environment, never the command line.
    libpq = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    result = subprocess.run(  # noqa: S603 - our arguments, no shell
        [tool, *args, f"--dbname={libpq}"], capture_output=True, text=True, env=env, check=False
    )
    if result.returncode != 0:
        raise click.ClickException(f"{name} failed: {result.stderr.strip()}")


def _pg_backup(url: URL, path: Path) -> None:
    partial = path.with_name(path.name + ".partial")
    try:
        _pg_call("pg_dump", url, ["--format=custom", f"--file={partial}"])
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def _pg_restore(url: URL, path: Path) -> None:
    _pg_call(
        "pg_restore",
        url,
        ["--clean", "--if-exists", "--no-owner", "--single-transaction", str(path)],
    )
