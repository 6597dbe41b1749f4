"""Model allocations: versioned per risk level, weights adding up to 100, defaults for C1–C5."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from portfolios import services
from portfolios.models import AssetClass, ModelAllocation
from portfolios.selectors import model_allocation_current
from crm.scales import RiskLevel

pytestmark = pytest.mark.django_db

JAN = datetime.date(2026, 1, 1)


def test_it_ships_a_first_version_for_every_risk_level_covering_every_class(db):
    for level in RiskLevel.values:
        allocation = ModelAllocation.objects.get(risk_level=level, version=1)
        weights = list(allocation.weights.all())
        assert sorted(w.asset_class for w in weights) == sorted(AssetClass.values)
        assert sum(w.target_weight for w in weights) == 100
        assert all(w.tolerance > 0 for w in weights)


def test_it_adds_the_next_version_and_keeps_the_previous_ones(db):
    version = services.model_allocation_version_create(
        risk_level="C2", weights={"cash": (Decimal("40"), Decimal("5")), "fixed_income": (Decimal("60"), 10)},
        effective_from=JAN, notes="Rates up",
    )

    assert version == 2
    assert services.model_allocation_version_create(risk_level="C2", weights={"cash": (100, 0)},
                                                    effective_from=JAN) == 3
    assert list(ModelAllocation.objects.filter(risk_level="C2").values_list("version", flat=True)) == [3, 2, 1]
    new = ModelAllocation.objects.get(risk_level="C2", version=2)
    assert {w.asset_class: (w.target_weight, w.tolerance) for w in new.weights.all()} == {
        "cash": (Decimal("40"), Decimal("5")), "fixed_income": (Decimal("60"), Decimal("10"))}


def test_it_applies_the_newest_version_once_it_is_in_effect(db):
    services.model_allocation_version_create(risk_level="C4", weights={"equity": (100, 5)},
                                             effective_from=datetime.date(2027, 1, 1))

    assert model_allocation_current(risk_level="C4", on_date=datetime.date(2026, 12, 31)).version == 1
    assert model_allocation_current(risk_level="C4", on_date=datetime.date(2027, 1, 1)).version == 2
    assert model_allocation_current(risk_level="", on_date=JAN) is None


@pytest.mark.parametrize("weights", [
    {"cash": (50, 5), "equity": (49.99, 5)},
    {"cash": (60, 5), "equity": (50, 5)},
    {"cash": (100, -1)},
    {"crypto": (100, 5)},
])
def test_it_refuses_weights_that_do_not_make_a_valid_allocation(db, weights):
    weights = {c: (Decimal(str(t)), Decimal(str(tol))) for c, (t, tol) in weights.items()}

    with pytest.raises(ValidationError):
        services.model_allocation_version_create(risk_level="C1", weights=weights, effective_from=JAN)

    assert not ModelAllocation.objects.filter(risk_level="C1", version=2).exists()


def test_it_takes_weights_given_as_plain_numbers_exactly(db):
    services.model_allocation_version_create(
        risk_level="C5", weights={"equity": (33.3, 5), "fund": (33.3, 5), "cash": (33.4, 2.5)}, effective_from=JAN)

    weights = ModelAllocation.objects.get(risk_level="C5", version=2).weights.all()
    assert sorted((w.asset_class, w.target_weight) for w in weights) == [
        ("cash", Decimal("33.4")), ("equity", Decimal("33.3")), ("fund", Decimal("33.3"))]
