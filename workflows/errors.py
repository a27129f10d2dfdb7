"""Errors a user can be told about. Each carries one clear sentence; none is a crash."""


class SanchikaError(Exception):
    """Base class: ``str(error)`` is the message shown to the official."""


class NotFound(SanchikaError):
    pass


class NotAllowed(SanchikaError):
    pass


class InvalidInput(SanchikaError):
    pass


class FileMoved(SanchikaError):
    """The file changed since the official last saw it (someone else acted first)."""

    def __init__(self, message="the file has moved: someone acted on it first; "
                               "look at it again before acting"):
        super().__init__(message)
