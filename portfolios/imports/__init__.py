"""Positions and prices files from custodians (CSV or XLSX), on the shared engine in ``dataimport``.

``*_import_check`` is the dry run: it writes nothing and reports every row's errors (row,
column, message) and what the file would change. ``*_import_commit`` checks again against
the database as it is now and, only if no row has an error, applies the file in one
transaction (``positions``, ``prices``); revaluations are queued to run after the commit.
Importing the same file twice changes nothing the second time.
"""

from dataimport import engine
from dataimport.reading import ImportFileError, Table, table_read

from .positions import POSITIONS
from .prices import PRICES

KINDS = {POSITIONS.key: POSITIONS, PRICES.key: PRICES}

__all__ = [
    "KINDS", "POSITIONS", "PRICES", "ImportFileError", "Table", "positions_import_check", "positions_import_commit",
    "prices_import_check", "prices_import_commit", "table_read",
]


def positions_import_check(*, table: Table, user):
    """The dry run of a positions file: every row's errors and what committing would change."""
    return engine.dry_run(POSITIONS, table=table, user=user)


def positions_import_commit(*, table: Table, user):
    """Apply the file if no row has an error (else change nothing and return the errors)."""
    return engine.commit(POSITIONS, table=table, user=user)


def prices_import_check(*, table: Table):
    """The dry run of a prices file; writes nothing."""
    return engine.dry_run(PRICES, table=table, user=None)


def prices_import_commit(*, table: Table):
    """Record the file's prices if no row has an error; nothing changes otherwise."""
    return engine.commit(PRICES, table=table, user=None)
