"""The phone search by the end of the number (crm.selectors._search_condition) on PostgreSQL.

A phone is looked up by its last digits or its whole number: ``REVERSE(phone) LIKE <reversed digits>%``,
a prefix that a btree on the reversed phone serves (text_pattern_ops: any collation). It replaces the
trigram index on phone (crm 0011), which a run of zeros or other common digits turned into a read of
every client. SQLite has no such index and keeps scanning; nothing is created there.
"""

from django.db import migrations


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS client_phone_reversed ON crm_client (REVERSE((phone)::text) text_pattern_ops)")
    schema_editor.execute("DROP INDEX IF EXISTS client_phone_trgm")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE INDEX IF NOT EXISTS client_phone_trgm ON crm_client USING GIN (((phone)::text) gin_trgm_ops)")
    schema_editor.execute("DROP INDEX IF EXISTS client_phone_reversed")


class Migration(migrations.Migration):
    dependencies = [("crm", "0016_client_email_lower_index")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
