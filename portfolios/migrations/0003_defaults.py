"""Default concentration limits and a version-1 model allocation per risk level; admins edit both later."""

import datetime
from decimal import Decimal

from django.db import migrations

from crm.roles import role_permissions_sync

CONCENTRATION_LIMITS = {
    "single_holding": "20",  # % of AUM
    "region": "60",
    "industry": "30",
    "issuer": "20",
    "bank_deposit": "500000",  # base currency: the deposit-insurance cover per bank
    "asset_class_band": "0",  # 0: use the model allocation's own bands
}

# (target %, tolerance ± percentage points) per asset class; each level's targets add up to 100.
MODEL_ALLOCATIONS = {
    "C1": {"cash": (30, 10), "fixed_income": (45, 10), "equity": (0, 3), "fund": (10, 5), "insurance": (10, 5),
           "real_estate": (5, 5), "physical": (0, 3), "alternatives": (0, 2), "other": (0, 2)},
    "C2": {"cash": (20, 8), "fixed_income": (40, 10), "equity": (10, 5), "fund": (15, 5), "insurance": (8, 4),
           "real_estate": (5, 5), "physical": (2, 2), "alternatives": (0, 2), "other": (0, 2)},
    "C3": {"cash": (10, 5), "fixed_income": (30, 8), "equity": (25, 8), "fund": (20, 6), "insurance": (5, 3),
           "real_estate": (5, 5), "physical": (3, 3), "alternatives": (2, 2), "other": (0, 2)},
    "C4": {"cash": (5, 5), "fixed_income": (20, 6), "equity": (40, 10), "fund": (20, 6), "insurance": (3, 3),
           "real_estate": (5, 5), "physical": (3, 3), "alternatives": (4, 3), "other": (0, 2)},
    "C5": {"cash": (5, 5), "fixed_income": (10, 5), "equity": (50, 10), "fund": (20, 8), "insurance": (2, 2),
           "real_estate": (5, 5), "physical": (3, 3), "alternatives": (5, 4), "other": (0, 2)},
}


def defaults_create(apps, schema_editor):
    ConcentrationLimit = apps.get_model("portfolios", "ConcentrationLimit")
    ModelAllocation = apps.get_model("portfolios", "ModelAllocation")
    ModelAllocationWeight = apps.get_model("portfolios", "ModelAllocationWeight")
    for kind, threshold in CONCENTRATION_LIMITS.items():
        ConcentrationLimit.objects.get_or_create(kind=kind, defaults={"threshold": Decimal(threshold)})
    for level, weights in MODEL_ALLOCATIONS.items():
        assert sum(target for target, _tolerance in weights.values()) == 100, level
        allocation, created = ModelAllocation.objects.get_or_create(
            risk_level=level, version=1,
            defaults={"effective_from": datetime.date(2000, 1, 1), "notes": "Default allocation"},
        )
        if created:
            ModelAllocationWeight.objects.bulk_create([
                ModelAllocationWeight(allocation=allocation, asset_class=c, target_weight=Decimal(t),
                                      tolerance=Decimal(tol))
                for c, (t, tol) in weights.items()
            ])
    role_permissions_sync(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("portfolios", "0002_role_permissions")]

    operations = [migrations.RunPython(defaults_create, migrations.RunPython.noop)]
