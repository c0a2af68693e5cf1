"""Errors that reach the user as one line, with the exit code the CLI documents."""

from __future__ import annotations

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_USAGE = 2


class RcaError(Exception):
    """Base for errors rca reports as a one-line message instead of a traceback."""

    exit_code = EXIT_USAGE


class InputError(RcaError):
    """An input the user gave cannot be read: missing, empty, not a log export."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem

    def __reduce__(self):  # rebuilt whole when raised on a Dask worker
        return type(self), (self.path, self.problem)


class InputErrors(RcaError):
    """Several inputs failed; each keeps its own one-line message."""

    def __init__(self, errors: list[InputError]) -> None:
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors


class UsageError(RcaError):
    """The command line asks for something rca cannot do."""
