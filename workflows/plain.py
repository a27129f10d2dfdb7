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

A statement with an expanding ``IN`` parameter, whose SQL depends on the number of values,
goes through SQLAlchemy as usual.
"""

from collections import namedtuple

from sqlalchemy.exc import DBAPIError


class Plain:
    """A Core statement, compiled once per dialect, run on the driver."""

    __slots__ = ("statement", "_compiled")

    def __init__(self, statement):
        self.statement = statement
        self._compiled = {}

    def rowcount(self, connection, params):
        """Run a write on ``connection`` (a SQLAlchemy Connection); the number of rows it
        touched."""
        compiled, cursor = self._run(connection, params)
        if cursor is None:
            return connection.execute(self.statement, params).rowcount
        try:
            return cursor.rowcount
        finally:
            cursor.close()

    def rows(self, connection, params):
        """Run a query; its rows, as named tuples of converted values."""
        compiled, cursor = self._run(connection, params)
        if cursor is None:
            return connection.execute(self.statement, params).all()
        try:
            return compiled.rows(cursor.fetchall())
        finally:
            cursor.close()

    def first(self, connection, params):
        found = self.rows(connection, params)
        return found[0] if found else None

    def _run(self, connection, params):
        """The statement compiled for the connection's dialect, and the driver's cursor it ran
        on (None for a statement that SQLAlchemy must render anew for each run)."""
        dialect = connection.dialect
        compiled = self._compiled.get(dialect)
        if compiled is None:
            compiled = self._compiled[dialect] = _Compiled(self.statement, dialect)
        if compiled.sql is None:
            return compiled, None
        arguments = compiled.arguments(params)
        cursor = connection.connection.cursor()
        try:
            cursor.execute(compiled.sql, arguments)
        except dialect.loaded_dbapi.Error as exc:
            cursor.close()
            raise DBAPIError.instance(compiled.sql, arguments, exc,
                                      dialect.loaded_dbapi.Error) from exc
        return compiled, cursor


class _Compiled:
    """The SQL of a statement for one dialect, and how to convert what goes in and comes out."""

    def __init__(self, statement, dialect):
        compiled = statement.compile(dialect=dialect)
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
        columns = list(getattr(statement, "selected_columns", ()))
        if columns:
            row = namedtuple("Row", [str(c.key) for c in columns], rename=True)
            processors = [c.type.dialect_impl(dialect).result_processor(dialect, None)
                          for c in columns]
            self.rows = _reader(row, processors)
        else:
            self.rows = list


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
