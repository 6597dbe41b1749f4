from decimal import Decimal

from django.db import migrations

from crm.roles import role_permissions_sync

# Yearly fee (%) on assets per class: typical wealth-management fees (custody and deposit margin on
# cash, management fees on funds, commissions on insurance). Administrators edit them in the admin.
FEE_RATES = {
    "cash": "0.20", "fixed_income": "0.40", "equity": "0.80", "fund": "1.00", "insurance": "1.20",
    "real_estate": "0.30", "physical": "0.25", "alternatives": "1.50", "other": "0.50",
}


def seed(apps, schema_editor):
    """The settings row (i = 8 %, T = 10 years when nobody left, at most 30, 3 years of history) and
    the fee rates."""
    apps.get_model("analytics", "ValueSettings").objects.get_or_create(pk=1)
    FeeRate = apps.get_model("analytics", "FeeRate")
    for asset_class, rate in FEE_RATES.items():
        FeeRate.objects.get_or_create(asset_class=asset_class, defaults={"rate_pct": Decimal(rate)})


class Migration(migrations.Migration):

    dependencies = [("analytics", "0001_initial")]

    operations = [
        migrations.RunPython(seed, migrations.RunPython.noop),
        migrations.RunPython(role_permissions_sync, migrations.RunPython.noop),
    ]
