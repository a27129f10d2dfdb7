"""The e-Office itself: offices, posts and people, files and what is on them, routes, deadlines,
mail, reports and the audit chain, on SQLAlchemy (SQLite or PostgreSQL) and without Flask: every
service takes the session first, works in its caller's one transaction and never commits, so it
serves a page, a command, a scheduler job or a test alike.  ``clock`` is the one clock, ``errors``
the refusals a user is told; each subpackage says what it holds."""
