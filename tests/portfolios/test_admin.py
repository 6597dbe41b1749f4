"""Admin: every portfolios model is registered and its pages open; model allocation weights must add up to 100;
holdings, prices and drawdown limits save through the services, which queue the clients' revaluation."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from portfolios.models import Alert, DrawdownLimit, Holding, InstrumentPrice, ModelAllocation, ValuationSnapshot
from tests.crm.test_admin_readonly import admin_form_data

from .factories import (
    TODAY,
    AccountFactory,
    AlertFactory,
    GoalFactory,
    HoldingFactory,
    InstrumentFactory,
    concentration_limits_set,
)

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


@pytest.fixture
def no_concentration_limits(db):
    concentration_limits_set()  # a one-holding portfolio would breach them; not what these tests are about


def test_a_stop_loss_set_in_admin_raises_its_alert_once_revalued(client, administrator, client_record, celery_eager,
                                                                 no_concentration_limits,
                                                                 django_capture_on_commit_callbacks):
    holding = HoldingFactory(account=AccountFactory(client=client_record), quantity=Decimal("100"),
                             cost=Decimal("1000"), market_value=Decimal("700"))
    url = reverse("admin:portfolios_holding_change", args=[holding.pk])
    client.force_login(administrator)
    page = client.get(url)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(url, admin_form_data(page, stop_loss_pct="20"))

    assert response.status_code == 302
    assert len(callbacks) == 1  # the revaluation, sent after the commit
    holding.refresh_from_db()
    assert (holding.stop_loss_pct, holding.stop_loss_breached) == (Decimal("20"), True)
    assert Alert.objects.filter(client=client_record, kind=Alert.Kind.STOP_LOSS).count() == 1


def test_a_position_changed_in_admin_is_revalued(client, administrator, client_record, celery_eager,
                                                  no_concentration_limits, django_capture_on_commit_callbacks):
    holding = HoldingFactory(account=AccountFactory(client=client_record), market_value=Decimal("1000"))
    url = reverse("admin:portfolios_holding_change", args=[holding.pk])
    client.force_login(administrator)
    page = client.get(url)
    assert {"account", "instrument"}.isdisjoint(page.context["adminform"].form.fields)  # a position stays put

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, admin_form_data(page, market_value="1500.50"))

    assert response.status_code == 302
    holding.refresh_from_db()
    assert holding.market_value == Decimal("1500.50")
    client_record.refresh_from_db()
    assert client_record.aum_total == Decimal("1500.50")


def test_a_price_recorded_in_admin_revalues_the_holders(client, administrator, client_record, celery_eager,
                                                        no_concentration_limits, django_capture_on_commit_callbacks):
    instrument = InstrumentFactory(code="600519")
    holding = HoldingFactory(account=AccountFactory(client=client_record), instrument=instrument,
                             quantity=Decimal("10"), valuation_date=TODAY)
    client.force_login(administrator)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:portfolios_instrumentprice_add"), {
            "instrument": instrument.pk, "price_date": TODAY.isoformat(), "price": "1700.5", "currency": "cny"})

    assert response.status_code == 302
    price = InstrumentPrice.objects.get()
    assert (price.price, price.currency) == (Decimal("1700.500000"), "CNY")
    assert response.url == reverse("admin:portfolios_instrumentprice_changelist")
    holding.refresh_from_db()
    assert holding.market_value == Decimal("17005.00")
    snapshot = ValuationSnapshot.objects.get(client=client_record)
    assert (snapshot.valuation_date, snapshot.aum) == (TODAY, Decimal("17005.00"))


def test_a_drawdown_limit_set_in_admin_is_checked_once_revalued(client, administrator, client_record, celery_eager,
                                                                 no_concentration_limits,
                                                                 django_capture_on_commit_callbacks):
    ValuationSnapshot.objects.create(client=client_record, valuation_date=timezone.localdate() - timedelta(days=7),
                                     aum=Decimal("1000.00"), currency="CNY", by_asset_class={"equity": "1000.00"})
    HoldingFactory(account=AccountFactory(client=client_record), market_value=Decimal("700"))
    client.force_login(administrator)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:portfolios_drawdownlimit_add"),
                               {"client": client_record.pk, "max_drawdown_pct": "20"})

    assert response.status_code == 302
    assert DrawdownLimit.objects.get(client=client_record).is_breached
    assert Alert.objects.filter(client=client_record, kind=Alert.Kind.DRAWDOWN).count() == 1


def test_holdings_are_read_on_the_account_page_not_edited(client, administrator, client_record):
    holding = HoldingFactory(account=AccountFactory(client=client_record))
    client.force_login(administrator)
    url = reverse("admin:portfolios_account_change", args=[holding.account.pk])
    page = client.get(url)

    [inline] = page.context["inline_admin_formsets"]
    assert not (inline.has_add_permission or inline.has_change_permission or inline.has_delete_permission)
    response = client.post(url, admin_form_data(page, **{"holdings-0-market_value": "1"}))

    assert response.status_code == 302
    assert Holding.objects.get().market_value == holding.market_value
