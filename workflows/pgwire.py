"""PostgreSQL: a plain statement (see ``plain``) sent to the server in one round trip with the
BEGIN that opens its transaction, or with the COMMIT that ends it.

Each round trip to the server costs about a tenth of a millisecond on loopback, more across a
network, and an official's action on a file used six: the pool's ping (now sent only when it
can tell something, see ``db.check_pooled_connections``), BEGIN, the read, the writes, the
audit chain and COMMIT.  libpq's pipeline mode sends several commands in one go and
reads their results together, so the BEGIN rides with the read and the COMMIT with the audit
chain (``models.audit``).  psycopg's own pipelines cost about as much Python as the round trip
they save, so the commands go through libpq directly (psycopg's ``pq`` layer), and psycopg's
adapters turn values into text and results back into values, as they do for psycopg itself.

A statement is prepared on the server (under a name made from its SQL) the first time a
connection runs it, in the same round trip, and runs from its plan after that.  psycopg, which
prepares on its own the statements it runs often, deallocates every prepared statement of a
connection (these too) when it rolls back a transaction, and after a statement that ends with
ROLLBACK (to a savepoint), DROP, ALTER, DISCARD ALL or DEALLOCATE ALL; ``dropped`` is told of
those (see ``workflows.db``), and the statements are prepared again at their next run.  A
pooler that drops prepared statements between transactions (PgBouncer in transaction mode) does
not suit this; Sanchika's pool keeps each connection to itself.

The connection is left as psycopg would leave it: between transactions, or inside one, and
psycopg goes on from there (it sends no BEGIN of its own for a transaction that has one, and
no COMMIT for one already committed).
"""

import hashlib
import re
import select
import threading
import weakref

from psycopg import capabilities, errors, pq
from psycopg.adapt import PyFormat, Transformer

_IDLE = pq.TransactionStatus.IDLE
_SYNC = pq.ExecStatus.PIPELINE_SYNC
_ABORTED = pq.ExecStatus.PIPELINE_ABORTED
_DONE = (pq.ExecStatus.COMMAND_OK, pq.ExecStatus.TUPLES_OK)

# What each connection has prepared (a connection is used by one thread at a time, but threads
# add connections): the names, and whether the server may hold others under the same names
# that it has since dropped or whose plans went stale, so that a name must be closed before it
# is prepared again.
_connections = weakref.WeakKeyDictionary()
_connections_lock = threading.Lock()

# the server dropped a statement (a pooler's DISCARD ALL, say), a statement of that name is
# there already, or a plan no longer fits its tables (a migration altered them)
_STALE = frozenset({"26000", "42P05", "0A000"})

# what psycopg deallocates every prepared statement after (psycopg/_preparing.py)
_DISCARDING = re.compile(r"(?:DROP|ALTER|ROLLBACK|DISCARD ALL|DEALLOCATE ALL)\b")

# libpq 14 has pipelines, 17 closes a prepared statement without an error when there is none
AVAILABLE = capabilities.has_pipeline() and capabilities.has_send_close_prepared()


class _Prepared:
    __slots__ = ("names", "unsure")

    def __init__(self):
        self.names, self.unsure = set(), False

    def forget(self):
        """The server has lost, or may have lost, these: close and prepare each again."""
        self.names.clear()
        self.unsure = True


def statement_name(sql):
    """The name a statement is prepared under: the same SQL, the same name, in every process."""
    return b"sanchika_" + hashlib.sha1(sql).hexdigest()[:16].encode()


def usable(connection):
    """Whether ``connection`` (psycopg's) can take a pipeline now: the libpq can, and the
    connection is open and not in one already."""
    pgconn = connection.pgconn
    return (AVAILABLE and pgconn.status == pq.ConnStatus.OK
            and pgconn.pipeline_status == pq.PipelineStatus.OFF)


def run(connection, name, sql, values, commit=False):
    """Run the statement ``sql`` (``$1``-style parameters, UTF-8) prepared as ``name`` with
    ``values`` on psycopg's ``connection``: after a BEGIN when the connection is between
    transactions (and not in autocommit), and followed by COMMIT when ``commit``, all in one
    round trip.  Returns the statement's result; a failure raises psycopg's error, and
    nothing after the failing command (the COMMIT included) is run.

    When the server no longer has the statement as prepared, the statement is prepared anew
    at its next run; if the failed run opened its transaction, nothing else was in it, and it
    is rolled back and run again at once."""
    transformer = Transformer(connection)
    params = transformer.dump_sequence(values, [PyFormat.TEXT] * len(values)) if values else None
    with _connections_lock:
        prepared = _connections.setdefault(connection, _Prepared())
    begin = not connection.autocommit and connection.pgconn.transaction_status == _IDLE
    try:
        return _run(connection, prepared, name, sql, params, begin, commit)
    except errors.Error as exc:
        if exc.sqlstate not in _STALE:
            raise
        prepared.forget()
        if not begin:
            raise
    _pipeline(connection, [("command", b"ROLLBACK")])
    return _run(connection, prepared, name, sql, params, begin, commit)


def _run(connection, prepared, name, sql, params, begin, commit):
    """One round trip: [BEGIN], [close and] prepare if needed, run, [COMMIT]; the run's
    result."""
    commands = [("command", _begin_command(connection))] if begin else []
    if name not in prepared.names:
        if prepared.unsure:
            commands.append(("close", name))
        commands.append(("prepare", (name, sql)))
    commands.append(("run", (name, params)))
    if commit:
        commands.append(("command", b"COMMIT"))
    outcome = None
    for kind, result in _pipeline(connection, commands):
        if kind == "prepare":
            prepared.names.add(name)
        elif kind == "run":
            outcome = result
    return outcome


def _pipeline(connection, commands):
    """Send ``commands`` (kind, argument) in one pipeline and read their results: (kind,
    result) for each; the first failure is raised, and the commands after it are not run."""
    pgconn = connection.pgconn
    pgconn.enter_pipeline_mode()
    try:
        for kind, argument in commands:
            if kind == "run":
                pgconn.send_query_prepared(*argument)
            elif kind == "prepare":
                pgconn.send_prepare(*argument)
            elif kind == "close":
                pgconn.send_close_prepared(argument)
            else:
                pgconn.send_query_params(argument, None)
        pgconn.pipeline_sync()
        results = _results(pgconn)
    finally:
        _leave_pipeline(pgconn)
    done = []
    for (kind, _argument), result in zip(commands, results):
        if result.status == _ABORTED:
            continue  # an earlier command failed; that one is raised
        if result.status not in _DONE:
            raise errors.error_from_result(result, encoding=connection.info.encoding)
        done.append((kind, result))
    return done


def rows(connection, result):
    """The rows of ``result`` as tuples of values, loaded as psycopg loads them."""
    transformer = Transformer(connection)
    transformer.set_pgresult(result)
    return transformer.load_rows(0, result.ntuples, tuple)


def dropped(connection):
    """psycopg's ``connection`` has lost, or may have lost, what it prepared: close and prepare
    each statement again at its next run."""
    with _connections_lock:
        prepared = _connections.get(connection)
    if prepared is not None:
        prepared.forget()


def drops_statements(status):
    """Whether psycopg deallocates every prepared statement after a statement that ended with
    the command status ``status``."""
    return bool(status) and _DISCARDING.match(status) is not None


def rolling_back(connection):
    """psycopg's ``connection`` is about to be rolled back: if it is inside a transaction,
    psycopg deallocates every prepared statement with it."""
    if connection.pgconn.transaction_status != _IDLE:
        dropped(connection)


def _begin_command(connection):
    """BEGIN with the connection's transaction characteristics, as psycopg would send it."""
    parts = [b"BEGIN"]
    if connection.isolation_level is not None:
        parts += [b"ISOLATION LEVEL", connection.isolation_level.name.replace("_", " ").encode()]
    if connection.read_only is not None:
        parts.append(b"READ ONLY" if connection.read_only else b"READ WRITE")
    if connection.deferrable is not None:
        parts.append(b"DEFERRABLE" if connection.deferrable else b"NOT DEFERRABLE")
    return b" ".join(parts)


def _results(pgconn):
    """Send what is queued and read one result per command, up to the pipeline's sync point,
    waiting on the socket (without holding the GIL) whenever libpq would block."""
    while pgconn.flush():
        _wait(pgconn, select.POLLOUT)
    results = []
    while True:
        while pgconn.is_busy():
            _wait(pgconn, select.POLLIN)
            pgconn.consume_input()
        result = pgconn.get_result()
        if result is None:  # the end of one command's results
            continue
        if result.status == _SYNC:
            return results
        results.append(result)


def _wait(pgconn, event):
    poll = select.poll()
    poll.register(pgconn.socket, event | select.POLLERR | select.POLLHUP)
    poll.poll()


def _leave_pipeline(pgconn):
    """Leave pipeline mode.  A pipeline left with results unread (the wait for them was
    interrupted, or the connection broke) cannot be left; the connection is closed, so that
    the pool's check finds it gone and the next transaction gets a new one."""
    try:
        pgconn.exit_pipeline_mode()
    except errors.Error:
        pgconn.finish()
