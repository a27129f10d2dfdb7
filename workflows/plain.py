"""Statements run straight on the database driver, for the path that runs all day: an official
acting on a file, and the audit event chained behind it.

Going through ``Connection.execute`` costs tens of microseconds of Python per statement (the
cache key, the execution context, the result object) on top of what the driver itself takes,
and an act runs about nine statements.  A ``Plain`` statement is compiled by SQLAlchemy once
per dialect; each run then only converts the parameters with the columns' own bind processors,
runs the SQL on the connection's driver cursor, in the transaction the connection is in, and
converts the result columns with the columns' result processors.  A driver error comes back
as SQLAlchemy's, as it would from ``Connection.execute``.  What the driver runs directly is
not seen by SQLAlchemy's statement events or its ``echo`` log.

On PostgreSQL (psycopg) a statement goes to the server through ``pgwire``: prepared once per
connection, and in one round trip with the BEGIN of its transaction when it is the first
statement of one (an action's read).  A write whose result no one waits for (an act's writes,
its audit event's chaining) can be deferred (``defer``): it goes to the server in the round
trip of whatever is sent next on the connection in its transaction, or of the COMMIT.  The
transaction sees no difference: every statement that SQLAlchemy runs on the connection (a
query, a flush, a savepoint) runs the deferred writes before it, and a rollback (to a
savepoint, too) drops them with everything else.  Only a deferred write that fails does so
later, failing the statement it went with, or the COMMIT, which then commits nothing.

A statement with an expanding ``IN`` parameter, whose SQL depends on the number of values,
goes through SQLAlchemy as usual.
"""

import re
from collections import namedtuple

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from . import pgwire

DEFERRED = "sanchika.deferred"  # in a connection's info: (its transaction, [(compiled, params)])


class Plain:
    """A Core statement, compiled once per dialect, run on the driver."""

    __slots__ = ("statement", "_compiled")

    def __init__(self, statement):
        self.statement = statement
        self._compiled = {}

    def rowcount(self, connection, params):
        """Run a write on ``connection`` (a SQLAlchemy Connection); the number of rows it
        touched."""
        compiled = self._compiled_for(connection.dialect)
        if compiled.sql is None:
            return connection.execute(self.statement, params).rowcount
        if self._goes_by_wire(connection, compiled):
            return self._wire(connection, compiled, params).command_tuples
        cursor = self._run(connection, compiled, params)
        try:
            return cursor.rowcount
        finally:
            cursor.close()

    def rows(self, connection, params):
        """Run a query; its rows, as named tuples of converted values."""
        compiled = self._compiled_for(connection.dialect)
        if compiled.sql is None:
            return connection.execute(self.statement, params).all()
        if self._goes_by_wire(connection, compiled):
            return self._wire_rows(connection, compiled, params)
        cursor = self._run(connection, compiled, params)
        try:
            return compiled.rows(cursor.fetchall())
        finally:
            cursor.close()

    def first(self, connection, params):
        found = self.rows(connection, params)
        return found[0] if found else None

    def defer(self, connection, params):
        """PostgreSQL: run this write later in the transaction ``connection`` is in, with what
        is sent next (see the module's description); True.  False when it cannot be deferred
        (another database, or a statement that does not go through ``pgwire``): the caller
        runs it now."""
        compiled = self._compiled_for(connection.dialect)
        if not self._goes_by_wire(connection, compiled):
            return False
        transaction = connection.get_transaction()
        queued = connection.info.get(DEFERRED)
        if queued is None or queued[0] is not transaction:
            queued = connection.info[DEFERRED] = (transaction, [])
        queued[1].append((compiled, params))
        return True

    def write_soon(self, connection, params):
        """A write whose result no one waits for: deferred where it can be (``defer``), run
        now where it cannot."""
        if not self.defer(connection, params):
            self.rowcount(connection, params)

    def wired(self, connection):
        """Whether this statement goes to ``connection``'s server through ``pgwire`` now."""
        return self._goes_by_wire(connection, self._compiled_for(connection.dialect))

    @staticmethod
    def _goes_by_wire(connection, compiled):
        # a connection that is closed or busy goes the usual way, and psycopg says what is wrong
        return (compiled.wire is not None
                and pgwire.usable(connection.connection.driver_connection))

    def _compiled_for(self, dialect):
        compiled = self._compiled.get(dialect)
        if compiled is None:
            compiled = self._compiled[dialect] = _Compiled(self.statement, dialect)
        return compiled

    def _wire(self, connection, compiled, params):
        """Run on PostgreSQL through ``pgwire``, after the writes deferred on ``connection``
        and in the same round trip; its result."""
        return _send(connection, [*_take_deferred(connection), (compiled, params)])[-1]

    def _wire_rows(self, connection, compiled, params):
        result = self._wire(connection, compiled, params)
        return compiled.rows(pgwire.rows(connection.connection.driver_connection, result))

    def _run(self, connection, compiled, params):
        """Run on the driver's cursor (after the writes deferred on ``connection``); the
        cursor."""
        _run_deferred(connection)
        dialect = connection.dialect
        arguments = compiled.arguments(params)
        cursor = connection.connection.cursor()
        try:
            cursor.execute(compiled.sql, arguments)
        except dialect.loaded_dbapi.Error as exc:
            cursor.close()
            raise DBAPIError.instance(compiled.sql, arguments, exc,
                                      dialect.loaded_dbapi.Error) from exc
        return cursor


def _take_deferred(connection):
    """The writes deferred on ``connection`` in its transaction, taken off it."""
    queued = connection.info.pop(DEFERRED, None)
    if queued is None or queued[0] is not connection.get_transaction():
        return []  # none, or left by a transaction that has ended
    return queued[1]


def _run_deferred(connection, commit=False):
    """Run the writes deferred on ``connection`` (a SQLAlchemy Connection) now, in one round
    trip, followed by COMMIT when ``commit`` (nothing at all when none is deferred)."""
    deferred = _take_deferred(connection)
    if deferred:
        _send(connection, deferred, commit)


def _send(connection, statements, commit=False):
    """Run ``statements`` ((compiled, params) each) through ``pgwire`` in one round trip, with
    COMMIT after them when ``commit``; their results.  A driver error comes back as
    SQLAlchemy's, naming the statement that failed."""
    driver = connection.connection.driver_connection
    values = [compiled.wire[2](params) for compiled, params in statements]
    try:
        return pgwire.run_many(driver, [(*compiled.wire[:2], each) for (compiled, _params), each
                                        in zip(statements, values)], commit)
    except connection.dialect.loaded_dbapi.Error as exc:
        failed = getattr(exc, "statement_index", None)
        if failed is not None:
            sql, params = statements[failed][0].sql, values[failed]
        else:  # the BEGIN or the COMMIT, or the connection itself
            sql = ";\n".join([compiled.sql for compiled, _params in statements]
                              + (["COMMIT"] if commit else []))
            params = None
        raise DBAPIError.instance(sql, params, exc,
                                  connection.dialect.loaded_dbapi.Error) from exc


def _run_before(conn, _cursor, _statement, _parameters, _context, _executemany):
    _run_deferred(conn)


def _commit(conn):
    """The deferred writes go to the server with the COMMIT; psycopg, finding the transaction
    committed, sends no COMMIT of its own."""
    _run_deferred(conn, commit=True)


def _drop(conn, *_args):
    conn.info.pop(DEFERRED, None)


# Every engine, whoever made it: a deferred write is run before every other statement, with
# the COMMIT, or dropped by a rollback (one left by a transaction that ended otherwise is
# never run: ``_take_deferred``).
event.listen(Engine, "before_cursor_execute", _run_before)
event.listen(Engine, "commit", _commit)
event.listen(Engine, "rollback", _drop)
event.listen(Engine, "rollback_savepoint", _drop)


class _Compiled:
    """The SQL of a statement for one dialect, and how to convert what goes in and comes out."""

    def __init__(self, statement, dialect):
        compiled = statement.compile(dialect=dialect)
        self.wire = None
        if any(bind.expanding for bind in compiled.bind_names):
            self.sql = None  # rendered per run, by SQLAlchemy
            return
        self.sql = compiled.string
        # each parameter by its name in the SQL (a name may occur more than once):
        # (key in the caller's parameters or None, fixed value, processor)
        inputs = {}
        for bind, name in compiled.bind_names.items():
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if bind.required:
                inputs[name] = (bind.key, None, processor)
            else:  # a value written into the statement, e.g. kind="act"
                value = bind.effective_value
                inputs[name] = (None, processor(value) if processor else value, None)
        if compiled.positional:
            self.arguments = _positional([inputs[name] for name in compiled.positiontup])
        else:
            escaped = compiled.escaped_bind_names or {}
            self.arguments = _named([(escaped.get(name, name), *each)
                                     for name, each in inputs.items()])
            if dialect.name == "postgresql" and dialect.driver == "psycopg":
                by_sql_name = {escaped.get(name, name): each for name, each in inputs.items()}
                sql, order = _numbered(compiled.string)
                self.wire = (pgwire.statement_name(sql), sql,
                             _positional([by_sql_name[name] for name in order]))
        columns = list(getattr(statement, "selected_columns", ()))
        if columns:
            row = namedtuple("Row", [str(c.key) for c in columns], rename=True)
            processors = [c.type.dialect_impl(dialect).result_processor(dialect, None)
                          for c in columns]
            self.rows = _reader(row, processors)
        else:
            self.rows = list


_PYFORMAT = re.compile(r"%\(([^)]+)\)s|%%")


def _numbered(sql):
    """psycopg's ``%(name)s`` parameters as PostgreSQL's ``$1``, ``$2``... (a name used twice
    is one parameter); the SQL as UTF-8 and the names in their order."""
    order = []

    def number(match):
        name = match.group(1)
        if name is None:
            return "%"
        if name not in order:
            order.append(name)
        return f"${order.index(name) + 1}"
    return _PYFORMAT.sub(number, sql).encode("utf-8"), order


def _positional(inputs):
    taken = [(key, value) for key, value, _processor in inputs]
    converted = [(i, processor) for i, (_key, _value, processor) in enumerate(inputs)
                 if processor is not None]

    def arguments(params):
        values = [params[key] if key is not None else value for key, value in taken]
        for i, processor in converted:
            values[i] = processor(values[i])
        return values
    return arguments


def _named(inputs):
    taken = [(name, key, value) for name, key, value, _processor in inputs]
    converted = [(name, processor) for name, _key, _value, processor in inputs
                 if processor is not None]

    def arguments(params):
        values = {name: params[key] if key is not None else value for name, key, value in taken}
        for name, processor in converted:
            values[name] = processor(values[name])
        return values
    return arguments


def _reader(row, processors):
    if not any(processors):
        return lambda fetched: [row._make(values) for values in fetched]
    pairs = list(enumerate(processors))

    def rows(fetched):
        out = []
        for values in fetched:
            values = list(values)
            for i, processor in pairs:
                if processor is not None and values[i] is not None:
                    values[i] = processor(values[i])
            out.append(row._make(values))
        return out
    return rows
