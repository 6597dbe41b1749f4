"""Trigram indexes for the client search on PostgreSQL (crm.selectors._search_condition).

The search filters with Django lookups, which PostgreSQL receives as ``UPPER(col::text) LIKE
UPPER(%s)`` (icontains), ``col::text LIKE %s`` (contains) and ``UPPER(col::text) LIKE ...``
(istartswith, iexact): the indexes below are built on exactly those expressions, so every arm of
the search is served by an index and the planner combines them (BitmapOr) instead of reading the
whole client table. SQLite has no such index and keeps scanning; nothing is created there.
"""

from django.db import migrations

INDEXES = [
    ("client_legal_name_trgm", "GIN ((UPPER((legal_name)::text)) gin_trgm_ops)"),
    ("client_preferred_name_trgm", "GIN ((UPPER((preferred_name)::text)) gin_trgm_ops)"),
    ("client_phone_trgm", "GIN (((phone)::text) gin_trgm_ops)"),
    # Exact and prefix e-mail search (iexact, istartswith); ID numbers use the existing
    # varchar_pattern_ops index Django creates for id_number.
    ("client_email_upper_prefix", "btree ((UPPER((email)::text)) text_pattern_ops)"),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, definition in INDEXES:
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON crm_client USING {definition}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _definition in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("crm", "0010_validation_and_registration_conflicts")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
