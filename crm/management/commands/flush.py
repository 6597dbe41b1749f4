"""Django's ``flush``, through the audit guard: emptying the whole database (a test database between
TransactionTestCase tests, a development database) is the one write that may delete audit rows.
SQLite empties tables with DELETE, which crm.audit_guard's triggers would refuse; PostgreSQL's
TRUNCATE fires no row trigger."""

from django.core.management.commands import flush
from django.db import DEFAULT_DB_ALIAS, connections

from crm.audit_guard import audit_rows_unlocked


class Command(flush.Command):
    def handle(self, **options):
        with audit_rows_unlocked(connections[options.get("database") or DEFAULT_DB_ALIAS]):
            return super().handle(**options)
