from django.db import migrations

from crm.roles import role_permissions_sync


class Migration(migrations.Migration):
    dependencies = [("portfolios", "0001_initial"), ("crm", "0002_roles_and_tier_thresholds")]

    operations = [migrations.RunPython(role_permissions_sync, migrations.RunPython.noop)]
