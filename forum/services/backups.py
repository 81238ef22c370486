"""Backups and restores of the database: SQLite online, PostgreSQL with pg_dump / pg_restore.

A backup is written to a temporary file beside the target and renamed into
place, so an interrupted backup never leaves a file that looks complete.
Uploaded files live in UPLOAD_DIR: copy that folder too (see the README).
"""
from __future__ import annotations

import os
import sqlite3
import subprocess
import tempfile
from pathlib import Path

from sqlalchemy.engine import make_url

from forum.extensions import db


class BackupError(Exception):
    pass


def _sqlite_path() -> Path | None:
    url = make_url(str(db.engine.url))
    return Path(url.database) if url.get_backend_name() == "sqlite" and url.database else None


def _pg_args() -> tuple[list[str], dict[str, str]]:
    url = make_url(str(db.engine.url))
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    args = ["--host", url.host or "localhost", "--port", str(url.port or 5432), "--dbname", url.database or ""]
    if url.username:
        args += ["--username", url.username]
    return args, env


def backup(target: Path, progress=None) -> int:
    """Write a backup of the live database to `target`; returns its size in bytes."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(handle)
    try:
        source = _sqlite_path()
        if source is not None:
            # SQLite's online backup copies page by page while others keep writing: no downtime.
            with sqlite3.connect(source) as live, sqlite3.connect(partial) as copy:
                live.backup(copy, pages=256, progress=(lambda status, remaining, total:
                                                        progress(total - remaining, total)) if progress else None)
        else:
            args, env = _pg_args()
            done = subprocess.run(["pg_dump", "--format=custom", "--no-owner", "--file", partial, *args],
                                  env=env, capture_output=True, text=True)
            if done.returncode != 0:
                raise BackupError(done.stderr.strip() or "pg_dump failed")
        os.replace(partial, target)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)
    return target.stat().st_size


def restore(source: Path) -> None:
    """Replace the database's contents with a backup's. Stop the web and scheduler processes first."""
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"{source} does not exist")
    target = _sqlite_path()
    db.session.remove()
    db.engine.dispose()
    if target is not None:
        with sqlite3.connect(source) as backup_db:
            if backup_db.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BackupError(f"{source} is not a sound SQLite database")
            with sqlite3.connect(target) as live:
                backup_db.backup(live)
        return
    args, env = _pg_args()
    done = subprocess.run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
                           *args, str(source)], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(done.stderr.strip() or "pg_restore failed")


__all__ = ["BackupError", "backup", "restore"]
