"""Errors the stack manager reports as one line naming the cause and the fix."""


class StackError(RuntimeError):
    """A service could not be started, checked or stopped; str() is the one-line message."""
