"""The one domain error of riata.

Library code raises :class:`RiataError` (a ValueError) for anything a user can fix (bad input files, bad
settings).
The command line prints it as a single ``ERROR: <message>`` line and exits with status 2; any other
exception is a bug, reported as one ``ERROR:`` line with exit status 1 (see :mod:`riata.cli`).
"""


class RiataError(ValueError):
    """A problem with the user's input or settings, reported as one ``ERROR:`` line."""
