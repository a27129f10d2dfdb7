"""Backups while the app runs, and restoring them.

A backup is a folder: the database (``sanchika.db``, a SQLite online-backup copy, or
``sanchika.dump``, a pg_dump custom-format archive), ``attachments/`` (the content-addressed
document store, copied file by file, only what is not there yet) and ``manifest.json`` (when,
which database, the schema revision, row counts and the last audit event's seq and hash, all
read from the same snapshot the copy was taken from).

The database is copied before the store: a document is written to the store before the
transaction that refers to it commits, so every document the copy refers to is on disk when
the store is copied.
"""

import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from . import analyze, make_engine, make_sessionmaker
from ..audit import checkpoints
from ..models.audit import GENESIS
from ..clock import utcnow
from ..errors import InvalidInput, NotAllowed, SanchikaError

MANIFEST = "manifest.json"
COUNTED = ("files", "movements", "notes", "attachments", "audit_events", "users")


def backup(url: str, dest: str | Path, store: str | Path,
           signing_key: str | Path | None = None) -> dict[str, Any]:
    """Copy the database at ``url`` and the document ``store`` into the folder ``dest``;
    return the manifest written there.  With ``signing_key`` (a key file's path) the copy's
    audit head is signed, as a checkpoint stored in the database and recorded in the
    manifest; a key that cannot sign leaves the checkpoint out and says why, and the backup
    is made all the same."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    kind = make_url(url).get_backend_name()
    if kind == "sqlite":
        facts = _sqlite_backup(make_url(url).database, dest / "sanchika.db")
    elif kind == "postgresql":
        facts = _pg_backup(url, dest / "sanchika.dump")
    else:
        raise InvalidInput("cannot back up a %(kind)s database", kind=kind)
    copied = copy_store(store, dest / "attachments")
    manifest = {"made_at": utcnow().isoformat(), "database": kind, **facts,
                "documents": _count_blobs(dest / "attachments"), "documents_copied": copied}
    if signing_key is not None:
        manifest.update(_checkpoint(url, signing_key, (facts["audit_seq"], facts["audit_hash"])))
    (dest / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest


def _checkpoint(url: str, signing_key: str | Path,
                head: tuple[int, str | None]) -> dict[str, Any]:
    """The copy's head signed (``checkpoint``: the line an export would hold), or why not
    (``checkpoint_refused``)."""
    engine = make_engine(url)
    try:
        signed = checkpoints.checkpoint_head(make_sessionmaker(engine), Path(signing_key),
                                             (head[0], head[1] or GENESIS))
    except SanchikaError as exc:
        return {"checkpoint": None, "checkpoint_refused": str(exc)}
    finally:
        engine.dispose()
    return {"checkpoint": json.loads(signed.line())}


def _sqlite_backup(source: str | None, target: Path) -> dict[str, Any]:
    part = target.with_suffix(".db.part")
    part.unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(part)
    try:
        src.backup(dst)  # one step: a consistent snapshot, writers go on (WAL)
    finally:
        src.close()
    try:
        facts = _facts(lambda sql: dst.execute(sql).fetchall())
    finally:
        dst.close()
    os.replace(part, target)
    return facts


def _pg_backup(url: str, target: Path) -> dict[str, Any]:
    """pg_dump from a snapshot exported by a repeatable-read transaction, whose counts and
    audit head go into the manifest: both describe the same instant."""
    engine = create_engine(_driver_url(url), isolation_level="REPEATABLE READ")
    part = target.with_suffix(".dump.part")
    try:
        with engine.connect() as conn:
            snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar()
            _run(["pg_dump", "--format=custom", f"--snapshot={snapshot}", "--file", str(part),
                  "--dbname", _libpq_url(url)])
            facts = _facts(lambda sql: conn.execute(text(sql)).all())
    finally:
        engine.dispose()
    os.replace(part, target)
    return facts


def _facts(query: Callable[[str], Sequence[Sequence[Any]]]) -> dict[str, Any]:
    counts = {t: query(f"SELECT count(*) FROM {t}")[0][0]  # noqa: S608 (our own tables)
              for t in COUNTED}
    head = query("SELECT seq, hash FROM audit_chain WHERE id = 1")
    revision = [r[0] for r in query("SELECT version_num FROM alembic_version")]
    return {"revision": ", ".join(sorted(revision)), "counts": counts,
            "audit_seq": head[0][0] if head else 0, "audit_hash": head[0][1] if head else None}


def copy_store(store: str | Path, target: str | Path) -> int:
    """Copy every document of ``store`` missing from ``target``; return how many were copied.
    Names are sha256 digests, so a file already there is the same file."""
    store, target = Path(store), Path(target)
    copied = 0
    if not store.is_dir():
        target.mkdir(parents=True, exist_ok=True)
        return 0
    for blob in store.rglob("*"):
        if not blob.is_file() or blob.name.endswith(".part"):
            continue
        there = target / blob.relative_to(store)
        if there.exists():
            continue
        there.parent.mkdir(parents=True, exist_ok=True)
        part = there.with_name(there.name + ".part")
        shutil.copyfile(blob, part)
        os.replace(part, there)
        copied += 1
    target.mkdir(parents=True, exist_ok=True)
    return copied


def _count_blobs(folder: str | Path) -> int:
    return sum(1 for p in Path(folder).rglob("*") if p.is_file())


def read_manifest(src: str | Path) -> dict[str, Any]:
    path = Path(src) / MANIFEST
    if not path.is_file():
        raise InvalidInput("%(src)s is not a Sanchika backup (no manifest.json)", src=str(src))
    return json.loads(path.read_text())


def restore(src: str | Path, url: str, store: str | Path,
            force: bool = False) -> dict[str, Any]:
    """Bring the backup in folder ``src`` into the database at ``url`` and the document
    ``store``.  A target that already holds files, users or audit events is refused unless
    ``force``.  Returns the backup's manifest."""
    src = Path(src)
    manifest = read_manifest(src)
    kind = make_url(url).get_backend_name()
    if manifest["database"] != kind:
        raise InvalidInput("this backup is of a %(was)s database; the target is %(kind)s",
                           was=manifest["database"], kind=kind)
    if not force and not _empty(url):
        raise NotAllowed("the target database already holds data; restore with --force to "
                         "replace it")
    if kind == "sqlite":
        _sqlite_restore(src / "sanchika.db", make_url(url).database)
    else:
        # as the owner; the application's grants are made again by its caller (roles.prepare)
        _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-acl",
              "--single-transaction",
              "--exit-on-error", "--dbname", _libpq_url(url), str(src / "sanchika.dump")])
        _analyze(url)
    copy_store(src / "attachments", store)
    return manifest


def _analyze(url: str) -> None:
    """PostgreSQL: gather the planner's statistics of the restored tables, which pg_restore
    does not bring (PostgreSQL's documentation advises it); until autovacuum came round, the
    reports' plans would rest on guesses."""
    engine = create_engine(_driver_url(url))
    try:
        analyze(engine)
    finally:
        engine.dispose()


def _sqlite_restore(source: Path, target: str | None) -> None:
    assert target is not None  # noqa: S101  (the URLs Sanchika runs on name a file)
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target, timeout=30)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


def _empty(url: str) -> bool:
    engine = create_engine(_driver_url(url))
    try:
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
            return not any(conn.execute(text(f"SELECT 1 FROM {t} LIMIT 1")).first()  # noqa: S608
                           for t in ("files", "users", "audit_events") if t in tables)
    finally:
        engine.dispose()


def _driver_url(url: str) -> str:
    return "postgresql+psycopg://" + url.split("://", 1)[1] if url.startswith("postgresql") else url


def _libpq_url(url: str) -> str:
    u = make_url(url).set(drivername="postgresql")
    return u.render_as_string(hide_password=False)


def _run(argv: list[str]) -> None:
    try:
        done = subprocess.run(argv, capture_output=True, text=True)  # noqa: S603 (no shell)
    except FileNotFoundError:
        raise InvalidInput("%(tool)s is not installed (Debian: apt-get install "
                           "postgresql-client)", tool=argv[0]) from None
    if done.returncode != 0:
        raise InvalidInput("%(tool)s failed: %(error)s", tool=argv[0],
                           error=(done.stderr or done.stdout).strip()[-500:])

