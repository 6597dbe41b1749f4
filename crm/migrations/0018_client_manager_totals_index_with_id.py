"""The per-RM covering index of 0015 with the client id in it too, on PostgreSQL only.

The workload page counts each RM's clients (``COUNT(crm_client.id)`` through the primary-clients
join); without the id in the index the planner cannot answer from the index alone, and it read every
client row (~10,000 heap pages for a team lead's RMs at 100,000 clients) instead of an index-only scan."""

from django.db import migrations

OLD = "(primary_manager_id) INCLUDE (aum_tier, aum_total, status)"
NEW = "(primary_manager_id) INCLUDE (id, aum_tier, aum_total, status)"


def _recreate(schema_editor, columns: str) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS crm_client_manager_totals_idx")
        schema_editor.execute(f"CREATE INDEX crm_client_manager_totals_idx ON crm_client {columns}")


def index_widen(apps, schema_editor):
    _recreate(schema_editor, NEW)


def index_narrow(apps, schema_editor):
    _recreate(schema_editor, OLD)


class Migration(migrations.Migration):
    dependencies = [("crm", "0017_client_phone_suffix_index")]

    operations = [migrations.RunPython(index_widen, index_narrow)]
