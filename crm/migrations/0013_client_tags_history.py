"""Client tags in the audit trail: every client history row keeps the tags as they were
(simple-history's m2m_fields). The tags of earlier rows are unknown; so that no later change seems to
add them, each tagged client gets one history row now, by no one, that records its tags as they are."""

import django.db.models.deletion
import simple_history.models
from django.db import migrations, models
from django.utils import timezone

BATCH = 1000


def tags_recorded_from_now(apps, schema_editor):
    Client = apps.get_model("crm", "Client")
    HistoricalClient = apps.get_model("crm", "HistoricalClient")
    HistoricalClientTags = apps.get_model("crm", "HistoricalClient_tags")
    through = Client.tags.through
    copied = [field.attname for field in HistoricalClient._meta.concrete_fields
              if not field.name.startswith("history_") and field.name not in ("ip_address", "request_id")]
    tagged = list(through.objects.values_list("client_id", flat=True).distinct().order_by("client_id"))
    now = timezone.now()
    for start in range(0, len(tagged), BATCH):
        ids = tagged[start:start + BATCH]
        rows = HistoricalClient.objects.bulk_create([
            HistoricalClient(history_date=now, history_type="~", history_change_reason="Tags recorded from here on",
                             **values)
            for values in Client.objects.filter(pk__in=ids).values(*copied)
        ])
        history_ids = {row.id: row.history_id for row in rows}
        HistoricalClientTags.objects.bulk_create([
            HistoricalClientTags(id=pk, client_id=client_id, tag_id=tag_id, history_id=history_ids[client_id])
            for pk, client_id, tag_id in through.objects.filter(client_id__in=ids).values_list("id", "client_id",
                                                                                                 "tag_id")
        ])


class Migration(migrations.Migration):

    dependencies = [
        ('crm', '0012_role_permissions_resync'),
    ]

    operations = [
        migrations.CreateModel(
            name='HistoricalClient_tags',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('m2m_history_id', models.AutoField(primary_key=True, serialize=False)),
                ('client', models.ForeignKey(blank=True, db_constraint=False, db_tablespace='', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='crm.client')),
                ('history', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, to='crm.historicalclient')),
                ('tag', models.ForeignKey(blank=True, db_constraint=False, db_tablespace='', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='crm.tag')),
            ],
            options={
                'verbose_name': 'HistoricalClient_tags',
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.RunPython(tags_recorded_from_now, migrations.RunPython.noop),
    ]
