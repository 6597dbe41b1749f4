"""Goals, stop-losses and prices the app refuses, with errors a user understands, on every path:
the form, the service and the database itself."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from portfolios import services
from portfolios.models import Goal, InstrumentPrice
from tests.portfolios.factories import GoalFactory, HoldingFactory, InstrumentFactory

pytestmark = pytest.mark.django_db


def goal_form(**changes) -> dict:
    return {"kind": "education", "name": "College", "target_amount": "200000", "currency": "CNY",
            "target_date": (timezone.localdate() + timedelta(days=3650)).isoformat(), "funded_amount": "0",
            "expected_return_pct": "3", **changes}


@pytest.mark.parametrize("changes, field, message", [
    ({"target_amount": "-5"}, "target_amount", "greater than or equal to 0.01"),
    ({"funded_amount": "-1"}, "funded_amount", "greater than or equal to 0"),
    ({"currency": "XXX"}, "currency", "is not an ISO 4217 currency code"),
    ({"currency": "<s>"}, "currency", "is not an ISO 4217 currency code"),
    ({"target_date": "2020-01-01"}, "target_date", "must lie in the future"),
])
def test_the_goal_form_refuses_nonsense_on_its_field(client, owner, client_record, changes, field, message):
    client.force_login(owner)
    response = client.post(reverse("portfolios:goal-create", args=[client_record.pk]), goal_form(**changes))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert message in " ".join(errors[field])
    assert "Constraint" not in response.content.decode()
    assert "<s>" not in response.content.decode().split("<form")[1].split("</form>")[0].replace(
        'value="&lt;s&gt;"', "")  # shown escaped, never as markup
    assert not Goal.objects.exists()


def test_a_goal_whose_date_has_passed_can_still_be_edited(owner, client_record):
    goal = GoalFactory(client=client_record, target_date=timezone.localdate() - timedelta(days=30))
    services.goal_update(goal=goal, name="Renamed")
    goal.refresh_from_db()
    assert goal.name == "Renamed"


def test_the_goal_service_gives_the_constraints_message_not_the_constraints_name(client_record):
    with pytest.raises(ValidationError) as raised:
        services.goal_create(client=client_record, kind="other", name="x", target_amount=Decimal("-5"),
                             currency="CNY", target_date=timezone.localdate() + timedelta(days=400))
    assert "goal_target_positive" not in str(raised.value)


@pytest.mark.parametrize("model_kwargs", [
    {"target_amount": Decimal("-1")},
    {"funded_amount": Decimal("-1")},
])
def test_the_database_refuses_a_negative_goal_amount(client_record, model_kwargs):
    with pytest.raises(IntegrityError), transaction.atomic():
        Goal.objects.create(client=client_record, kind="other", name="x", currency="CNY",
                            target_date=timezone.localdate(), **{"target_amount": Decimal("1"), **model_kwargs})


@pytest.mark.parametrize("price", ["-1", "0"])
def test_the_stop_loss_form_refuses_a_price_not_above_zero(client, owner, client_record, price):
    holding = HoldingFactory(account__client=client_record)
    client.force_login(owner)
    response = client.post(reverse("portfolios:holding-stop-loss", args=[holding.pk]),
                           {"stop_loss_price": price, "stop_loss_pct": ""})
    assert response.status_code == 200
    assert response.context["form"].errors["stop_loss_price"]
    holding.refresh_from_db()
    assert holding.stop_loss_price is None


def test_the_database_refuses_a_negative_stop_loss_and_a_price_of_zero(client_record):
    holding = HoldingFactory(account__client=client_record)
    with pytest.raises(IntegrityError), transaction.atomic():
        type(holding).objects.filter(pk=holding.pk).update(stop_loss_price=Decimal("-1"))
    with pytest.raises(IntegrityError), transaction.atomic():
        InstrumentPrice.objects.create(instrument=holding.instrument, price_date=timezone.localdate(),
                                       price=Decimal("0"), currency="CNY")


def test_the_price_service_refuses_zero(client_record):
    instrument = InstrumentFactory(currency="CNY")
    with pytest.raises(ValidationError):
        services.instrument_price_record(instrument=instrument, price_date=timezone.localdate(), price=Decimal("0"),
                                         currency="CNY")
    assert not InstrumentPrice.objects.exists()


def test_the_prices_import_refuses_zero_in_its_dry_run(client_record):
    from portfolios import imports

    InstrumentFactory(code="600036", currency="CNY")
    report = imports.prices_import_check(table=imports.table_read(
        content=f"instrument code,price date,price,currency\n600036,{timezone.localdate()},0,CNY\n".encode(),
        file_name="prices.csv"))
    assert not report.ok
    assert "above zero" in str(report.rows[0]["errors"])
