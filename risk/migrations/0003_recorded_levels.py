"""Levels set by hand or by demo data before questionnaires keep their value on the client,
marked "recorded without an assessment" (crm 0005 did that, dated when the client was
registered); here each also gets a history row in the risk app, so nothing is lost when a
questionnaire later replaces it. A level without a basis is marked recorded as well."""

from django.db import migrations
from django.utils import timezone


def recorded_levels_keep(apps, schema_editor):
    Client = apps.get_model("crm", "Client")
    RecordedLevel = apps.get_model("risk", "RecordedLevel")
    rows = []
    clients = Client.objects.exclude(risk_level="").exclude(risk_level_basis="assessment")
    for client in clients.only("pk", "risk_level", "risk_level_basis", "risk_assessed_on", "created_at").iterator():
        recorded_on = client.risk_assessed_on or timezone.localdate(client.created_at)
        if client.risk_level_basis != "recorded" or client.risk_assessed_on is None:
            Client.objects.filter(pk=client.pk).update(risk_level_basis="recorded", risk_assessed_on=recorded_on)
        rows.append(RecordedLevel(client_id=client.pk, level=client.risk_level, recorded_on=recorded_on,
                                  note="Recorded before risk questionnaires"))
        if len(rows) >= 2000:
            RecordedLevel.objects.bulk_create(rows, ignore_conflicts=True)
            rows = []
    RecordedLevel.objects.bulk_create(rows, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [("risk", "0002_standard_questionnaire"), ("crm", "0005_client_risk_basis")]

    operations = [migrations.RunPython(recorded_levels_keep, migrations.RunPython.noop)]
