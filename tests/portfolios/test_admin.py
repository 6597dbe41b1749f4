"""Admin: every portfolios model is registered and its pages open; model allocation weights must add up to 100."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from portfolios.models import ModelAllocation

from .factories import AccountFactory, AlertFactory, GoalFactory, HoldingFactory

pytestmark = pytest.mark.django_db

PORTFOLIO_MODELS = [m for m in apps.get_app_config("portfolios").get_models() if not m.__name__.startswith("Historical")]


def test_it_registers_every_model():
    assert [m.__name__ for m in PORTFOLIO_MODELS if m not in admin.site._registry] == []


def test_every_changelist_and_change_page_opens_for_an_administrator(client, administrator, client_record):
    HoldingFactory(account=AccountFactory(client=client_record))
    AlertFactory(client=client_record)
    GoalFactory(client=client_record)
    client.force_login(administrator)

    for model in PORTFOLIO_MODELS:
        meta = model._meta
        response = client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
        assert response.status_code == 200, meta.model_name
        obj = model.objects.first()
        if obj is not None:
            response = client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk]))
            assert response.status_code == 200, meta.model_name


def weights_form(*rows):
    data = {
        "risk_level": "C2", "effective_from": "2027-01-01", "is_active": "on", "notes": "",
        "weights-TOTAL_FORMS": str(len(rows)), "weights-INITIAL_FORMS": "0",
        "weights-MIN_NUM_FORMS": "1", "weights-MAX_NUM_FORMS": "1000",
    }
    for n, (asset_class, target, tolerance) in enumerate(rows):
        data |= {f"weights-{n}-asset_class": asset_class, f"weights-{n}-target_weight": target,
                 f"weights-{n}-tolerance": tolerance}
    return data


def test_it_refuses_weights_that_do_not_add_up_to_100(client, administrator):
    client.force_login(administrator)

    response = client.post(reverse("admin:portfolios_modelallocation_add"),
                           weights_form(("cash", "50", "5"), ("equity", "40", "5")))

    assert response.status_code == 200
    assert "add up to 90%, not 100%" in response.content.decode()
    assert not ModelAllocation.objects.filter(risk_level="C2", version=2).exists()


def test_it_numbers_a_new_allocation_as_the_next_version(client, administrator):
    client.force_login(administrator)

    response = client.post(reverse("admin:portfolios_modelallocation_add"),
                           weights_form(("cash", "60", "5"), ("equity", "40", "5")))

    assert response.status_code == 302
    allocation = ModelAllocation.objects.get(risk_level="C2", version=2)
    assert allocation.weights.count() == 2


@pytest.mark.parametrize("permission", ["portfolios.change_fxrate", "portfolios.add_modelallocation",
                                        "portfolios.change_modelallocationweight",
                                        "portfolios.change_concentrationlimit"])
def test_only_administrators_may_change_rates_models_and_limits(owner, administrator, permission):
    assert not owner.has_perm(permission)
    assert administrator.has_perm(permission)
    assert owner.has_perm("portfolios.change_holding")
