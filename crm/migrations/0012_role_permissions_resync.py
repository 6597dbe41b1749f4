"""The role groups again, now that django-axes is installed: a database migrated before it gave
the Administrator group no permission on its access attempts and logs (Django admin, unlocking a
user), so a non-superuser administrator could not unlock anyone until role_permissions_sync ran
again. Safe to run any number of times."""

from django.db import migrations

from crm.roles import role_permissions_sync


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0011_search_trigram_indexes"),
        ("axes", "0010_accessattemptexpiration"),
    ]

    operations = [migrations.RunPython(role_permissions_sync, migrations.RunPython.noop)]
