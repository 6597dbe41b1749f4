"""Existing e-mail addresses in lower case, as crm.normalisers.email_normalise now stores them.

Imports and forms kept the local part's case (``CLIENT4908@example.com``), so a later row
with ``client4908@example.com`` was not found as the same client. Only rows whose address
has an upper-case letter are written. The history tables keep the addresses as they were
recorded; reversing leaves the lower-case addresses (the original case is not needed).
"""

from django.db import migrations
from django.db.models.functions import Lower


def emails_lower(apps, schema_editor):
    Client = apps.get_model("crm", "Client")
    Client.objects.exclude(email="").exclude(email=Lower("email")).update(email=Lower("email"))


class Migration(migrations.Migration):

    dependencies = [
        ('crm', '0008_audit_trail'),
    ]

    operations = [
        migrations.RunPython(emails_lower, migrations.RunPython.noop, elidable=True),
    ]
