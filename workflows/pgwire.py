"""PostgreSQL: plain statements (see ``plain``) sent to the server together, in one round trip,
with the BEGIN that opens their transaction or with the COMMIT that ends it.

Each round trip to the server costs about a tenth of a millisecond on loopback, more across a
network, and an official's action on a file used six: the pool's ping (now sent only when it
can tell something, see ``db.check_pooled_connections``), BEGIN, the read, the writes, the
audit chain and COMMIT.  libpq's pipeline mode sends several commands in one go and reads
their results together, so the BEGIN rides with the read, and the writes and the audit chain,
deferred (``plain.Plain.defer``), ride with the COMMIT: two round trips.  psycopg's own
pipelines cost about as much Python as the round trip they save, so the commands go through
libpq directly (psycopg's ``pq`` layer), and psycopg's adapters turn values into text and
results back into values, as they do for psycopg itself.

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


def run_many(connection, statements, commit=False):
    """Run ``statements`` (name, sql, values), in order, on psycopg's ``connection``, each
    (``$1``-style parameters, UTF-8) prepared under its name: after a BEGIN when the
    connection is between transactions (and not in autocommit), and followed by COMMIT when
    ``commit``, all in one round trip.  Returns their results; a failure raises psycopg's
    error, with ``statement_index`` set to the index of the statement that failed (None when
    it was the BEGIN or the COMMIT), and nothing after it (the COMMIT included) is run.

    When the server no longer has a statement as prepared, it is prepared anew at its next
    run; if the failed run opened its transaction, nothing else was in it, and it is rolled
    back and run again at once."""
    transformer = Transformer(connection)
    dumped = [(name, sql, transformer.dump_sequence(values, [PyFormat.TEXT] * len(values))
               if values else None) for name, sql, values in statements]
    with _connections_lock:
        prepared = _connections.setdefault(connection, _Prepared())
    begin = not connection.autocommit and connection.pgconn.transaction_status == _IDLE
    try:
        return _run(connection, prepared, dumped, begin, commit)
    except errors.Error as exc:
        if exc.sqlstate not in _STALE:
            raise
        prepared.forget()
        if not begin:
            raise
    _pipeline(connection, [("command", b"ROLLBACK", None)])
    return _run(connection, prepared, dumped, begin, commit)


def _run(connection, prepared, statements, begin, commit):
    """One round trip: [BEGIN], for each statement [close and] prepare if needed and run,
    [COMMIT]; the runs' results."""
    commands = [("command", _begin_command(connection), None)] if begin else []
    preparing = set()
    for i, (name, sql, params) in enumerate(statements):
        if name not in prepared.names and name not in preparing:
            if prepared.unsure:
                commands.append(("close", name, i))
            commands.append(("prepare", (name, sql), i))
            preparing.add(name)
        commands.append(("run", (name, params), i))
    if commit:
        commands.append(("command", b"COMMIT", None))
    outcomes = []
    for kind, argument, result in _pipeline(connection, commands):
        if kind == "prepare":
            prepared.names.add(argument[0])
        elif kind == "run":
            outcomes.append(result)
    return outcomes


def _pipeline(connection, commands):
    """Send ``commands`` (kind, argument, index of the statement it is for) in one pipeline
    and read their results: (kind, argument, result) for each; the first failure is raised
    (with ``statement_index``), and the commands after it are not run."""
    pgconn = connection.pgconn
    pgconn.enter_pipeline_mode()
    try:
        for kind, argument, _index in commands:
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
    for (kind, argument, index), result in zip(commands, results):
        if result.status == _ABORTED:
            continue  # an earlier command failed; that one is raised
        if result.status not in _DONE:
            error = errors.error_from_result(result, encoding=connection.info.encoding)
            error.statement_index = index
            raise error
        done.append((kind, argument, result))
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
