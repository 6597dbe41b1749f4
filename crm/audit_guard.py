"""Audit rows are never changed or deleted: the database refuses it, whatever code asks.

Audit-bearing tables (``audit_models``): every simple-history table (``Historical…``, and the
tables that keep their many-to-many values, e.g. a client's tags), the append-only records that are
their own trail (``crm.audit`` sources with ``when``: lifecycle transitions, client merges,
complaint events), the log of views of sensitive data (``SensitiveView``) and Django admin's log
(``LogEntry``). Each gets triggers that refuse UPDATE and DELETE (INSERT stays open):

- PostgreSQL: one ``BEFORE UPDATE OR DELETE`` trigger per table running ``crm_audit_row_refuse()``,
  which raises SQLSTATE 23001 (``restrict_violation``; Django raises ``IntegrityError``).
- SQLite: ``BEFORE UPDATE`` and ``BEFORE DELETE`` triggers doing ``SELECT RAISE(ABORT, …)``
  (also ``IntegrityError``).

They are installed by crm's migration 0014 and again after every ``migrate`` (``post_migrate``),
which covers the tables of apps migrated later, new audited models, and SQLite's habit of rebuilding
a table (and dropping its triggers) when a migration alters it. ``tests/test_audit_guard.py``
checks that every audit-bearing model has them.

Consequences, on purpose: a user who made a change, or a client with lifecycle transitions, cannot be
deleted (their rows would be changed or cascade-deleted): staff are deactivated, clients end through
their lifecycle or a merge. ``audit_rows_unlocked()`` lifts the guard for the current process and
connection, for a test database's flush (SQLite empties tables with DELETE; PostgreSQL's TRUNCATE
fires no row trigger) or a retention purge a bank's policy orders. It is a guard against mistakes in
code, not against the database's owner, who can drop a trigger.
"""

import threading
from contextlib import contextmanager

from django.db import connection as default_connection
from django.db.backends.signals import connection_created
from django.dispatch import receiver

FUNCTION = "crm_audit_row_refuse"
SQLITE_UNLOCKED = "crm_audit_unlocked"  # an SQL function registered on every SQLite connection
PG_SETTING = "crm.audit_unlocked"
MESSAGE = "audit rows cannot be changed or deleted"

_unlocked = threading.local()


def audit_models(apps=None) -> list[type]:
    """The audit-bearing models (see the module's docstring), from ``apps`` (a migration's state) or
    the running project."""
    from django.apps import apps as global_apps
    from simple_history.models import HistoricalChanges

    apps = apps or global_apps
    found = [model for model in apps.get_models() if issubclass(model, HistoricalChanges)]
    found += [apps.get_model("crm", "SensitiveView"), apps.get_model("admin", "LogEntry")]
    if apps is global_apps:
        from .audit import history_sources

        found += [source.model for source in history_sources() if source.is_record]
    else:  # a migration's state knows no registrations: crm's own records
        found += [apps.get_model("crm", "LifecycleTransition"), apps.get_model("crm", "ClientMerge")]
    return sorted({model._meta.db_table: model for model in found}.values(), key=lambda m: m._meta.db_table)


def _installed(connection) -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        return {row[0] for row in cursor.fetchall()}


def _names(table: str, connection) -> list[str]:
    if connection.vendor == "postgresql":
        return [f"{table}_audit_guard"[:63]]
    return [f"{table}_no_update", f"{table}_no_delete"]


def audit_tables_unguarded(*, connection=None, apps=None) -> list[str]:
    """Tables of audit-bearing models (that exist) lacking their triggers; [] when all are guarded."""
    connection = connection or default_connection
    existing = set(connection.introspection.table_names())
    installed = _installed(connection)
    return [model._meta.db_table for model in audit_models(apps)
            if model._meta.db_table in existing
            and not set(_names(model._meta.db_table, connection)) <= installed]


def audit_triggers_install(*, connection=None, apps=None) -> list[str]:
    """Give every existing audit-bearing table its triggers (idempotent); returns the tables done."""
    connection = connection or default_connection
    if connection.vendor not in ("postgresql", "sqlite"):
        return []
    tables = audit_tables_unguarded(connection=connection, apps=apps)
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"""
                CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF current_setting('{PG_SETTING}', true) = 'on' THEN
                        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
                    END IF;
                    RAISE EXCEPTION '{MESSAGE}: % on %', TG_OP, TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
                END $$""")
        for table in tables:
            if connection.vendor == "postgresql":
                (name,) = _names(table, connection)
                cursor.execute(f"DROP TRIGGER IF EXISTS {quote(name)} ON {quote(table)}")
                cursor.execute(f"CREATE TRIGGER {quote(name)} BEFORE UPDATE OR DELETE ON {quote(table)} "
                               f"FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()")
            else:
                for name, event in zip(_names(table, connection), ("UPDATE", "DELETE")):
                    cursor.execute(f"CREATE TRIGGER IF NOT EXISTS {quote(name)} BEFORE {event} ON {quote(table)} "
                                   f"WHEN NOT {SQLITE_UNLOCKED}() BEGIN "
                                   f"SELECT RAISE(ABORT, '{MESSAGE}: {event} on {table}'); END")
    return tables


def audit_triggers_remove(*, connection=None, apps=None) -> None:
    """Drop the triggers (reversing crm 0014)."""
    connection = connection or default_connection
    quote = connection.ops.quote_name
    existing = set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        for model in audit_models(apps):
            table = model._meta.db_table
            if table not in existing:
                continue
            for name in _names(table, connection):
                if connection.vendor == "postgresql":
                    cursor.execute(f"DROP TRIGGER IF EXISTS {quote(name)} ON {quote(table)}")
                else:
                    cursor.execute(f"DROP TRIGGER IF EXISTS {quote(name)}")


@contextmanager
def audit_rows_unlocked(connection=None):
    """Let this thread's connection change and delete audit rows inside (a test database's flush, a
    retention purge); the guard is back on leaving."""
    connection = connection or default_connection
    previous = getattr(_unlocked, "on", False)
    _unlocked.on = True
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, 'on', false)", [PG_SETTING])
    try:
        yield
    finally:
        _unlocked.on = previous
        if connection.vendor == "postgresql" and not previous and connection.connection is not None:
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config(%s, 'off', false)", [PG_SETTING])


@receiver(connection_created, dispatch_uid="crm.audit_guard.sqlite_function")
def _sqlite_function_register(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function(SQLITE_UNLOCKED, 0, lambda: int(getattr(_unlocked, "on", False)))


def audit_triggers_after_migrate(sender, using, **kwargs) -> None:
    """post_migrate (sent after the whole plan ran): guard the audit-bearing tables of the project as
    it now stands."""
    from django.db import connections

    audit_triggers_install(connection=connections[using])
