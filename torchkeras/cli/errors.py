"""The one error the command line reports as a message (exit status 2) rather than a traceback."""


class CLIError(Exception):
    """A user-facing problem: a missing file, a wrong extension, Keras not installed, a file that does
    not load."""
