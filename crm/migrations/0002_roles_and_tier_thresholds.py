from decimal import Decimal

from django.db import migrations

from crm.roles import role_permissions_sync

DEFAULT_TIER_MINIMUMS = {"hnw": Decimal("6000000"), "affluent": Decimal("500000"), "mass": Decimal("0")}


def tier_thresholds_create(apps, schema_editor):
    AumTierThreshold = apps.get_model("crm", "AumTierThreshold")
    for tier, minimum in DEFAULT_TIER_MINIMUMS.items():
        AumTierThreshold.objects.get_or_create(tier=tier, defaults={"minimum_aum": minimum, "currency": "CNY"})


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(role_permissions_sync, migrations.RunPython.noop),
        migrations.RunPython(tier_thresholds_create, migrations.RunPython.noop),
    ]
