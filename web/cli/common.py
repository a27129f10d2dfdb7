"""What every ``sanchika`` command shares: one transaction per command, a mistake told in one
line with exit 1 (never a traceback), and times written and read the office's way."""

import functools
from datetime import datetime
from pathlib import Path

import click
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm.exc import StaleDataError

from workflows.clock import IST
from workflows.db import make_engine, make_sessionmaker
from workflows.errors import FileMoved, SanchikaError


class Fail(click.ClickException):
    exit_code = 1

    def show(self, file=None):
        click.echo(f"error: {self.message}", err=True)


def session_scope(fn):
    """Run the command in one transaction and turn known failures into one clear line."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        db = make_engine()
        try:
            with make_sessionmaker(db).begin() as session:
                return fn(session, *args, **kwargs)
        except SanchikaError as exc:
            raise Fail(str(exc)) from None
        except StaleDataError:
            raise Fail(str(FileMoved())) from None
        except (OperationalError, ProgrammingError) as exc:
            raise Fail(database_message(exc)) from None
        finally:
            db.dispose()
    return wrapper


def database_message(exc):
    text = str(exc.orig) if getattr(exc, "orig", None) else str(exc)
    if "no such table" in text or "does not exist" in text:
        return "the database is not set up; run 'sanchika init' first"
    return f"the database could not be used: {text.splitlines()[0]}"


def read_bytes(path):
    """The bytes of a file named on the command line, or a clear refusal."""
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise Fail(f"{path} cannot be read: {exc.strerror}") from None


def ist(moment):
    if moment is None:
        return "-"
    return moment.astimezone(IST).strftime("%d-%m-%Y %H:%M IST")


def duration(delta):
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    return f"{days}d {hours}h" if days else f"{hours}h {mins}m"


def moment(text):
    """An ISO time given on the command line, or None.  A time that names no zone is India's,
    where the offices are, not the host's (which runs in UTC)."""
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        raise Fail(f"'{text}' is not an ISO time such as 2026-11-30T10:00+05:30") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=IST)
