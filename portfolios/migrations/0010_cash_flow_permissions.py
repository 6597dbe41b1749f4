"""The role groups get their permissions on cash flows (compliance reads them in admin, the RMs' wildcard
covers them), as for every model added after the roles were set up."""

from django.db import migrations

from crm.roles import role_permissions_sync


class Migration(migrations.Migration):

    dependencies = [
        ("portfolios", "0009_valuation_run"),
    ]

    operations = [migrations.RunPython(role_permissions_sync, migrations.RunPython.noop)]
