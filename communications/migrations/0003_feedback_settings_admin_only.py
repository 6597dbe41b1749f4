"""Feedback settings (complaint SLA, link validity) are changed by administrators only: the role
groups lose the change permission that the RMs' "communications.change_*" pattern gave them."""

from django.db import migrations

from crm.roles import role_permissions_sync


class Migration(migrations.Migration):
    dependencies = [("communications", "0002_reminders")]

    operations = [migrations.RunPython(role_permissions_sync, migrations.RunPython.noop)]
