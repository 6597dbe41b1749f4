"""Audit rows cannot be changed or deleted at the database level: triggers on every audit-bearing
table that exists now (see crm.audit_guard; tables created later are guarded after each migrate)."""

from django.db import migrations

from crm.audit_guard import audit_triggers_install, audit_triggers_remove


def guard(apps, schema_editor):
    audit_triggers_install(connection=schema_editor.connection, apps=apps)


def unguard(apps, schema_editor):
    audit_triggers_remove(connection=schema_editor.connection, apps=apps)


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0013_client_tags_history"),
        ("admin", "0003_logentry_add_action_flag_choices"),
    ]

    operations = [migrations.RunPython(guard, unguard)]
