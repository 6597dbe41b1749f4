"""factory_boy factories for portfolios; shared by the domain, import and view tests."""

import datetime
from decimal import Decimal

import factory

from portfolios.models import (
    Account,
    Alert,
    AssetClass,
    ConcentrationLimit,
    DrawdownLimit,
    FxRate,
    Goal,
    Holding,
    Institution,
    Instrument,
    InstrumentPrice,
    ModelAllocation,
    ModelAllocationWeight,
)
from portfolios.services import client_rated_holdings_refresh
from tests.factories import ClientFactory

TODAY = datetime.date(2026, 11, 20)


class InstitutionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Institution
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Bank {n}")
    is_bank = True


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    client = factory.SubFactory(ClientFactory)
    kind = Account.Kind.BROKERAGE
    institution = factory.SubFactory(InstitutionFactory)
    account_number = factory.Sequence(lambda n: f"AC{n:06d}")
    currency = "CNY"


class InstrumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Instrument
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"INS{n:05d}")
    name = factory.LazyAttribute(lambda i: f"Instrument {i.code}")
    asset_class = AssetClass.EQUITY
    currency = "CNY"


class HoldingFactory(factory.django.DjangoModelFactory):
    """A holding; ``market_value`` defaults to ``quantity`` (a price of 1)."""

    class Meta:
        model = Holding
        skip_postgeneration_save = True

    account = factory.SubFactory(AccountFactory)
    instrument = factory.SubFactory(InstrumentFactory)
    quantity = Decimal("1000")
    cost = factory.LazyAttribute(lambda h: h.market_value)
    market_value = factory.LazyAttribute(lambda h: h.quantity)
    currency = factory.LazyAttribute(lambda h: h.instrument.currency)
    valuation_date = TODAY

    @factory.post_generation
    def rated_counts(holding, create, extracted, **kwargs):
        # As services.holding_upsert does: the client's suitability counts include the new holding.
        if create:
            client_rated_holdings_refresh(client_ids=[holding.account.client_id])


class InstrumentPriceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InstrumentPrice

    instrument = factory.SubFactory(InstrumentFactory)
    price_date = TODAY
    price = Decimal("1")
    currency = factory.LazyAttribute(lambda p: p.instrument.currency)


class FxRateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FxRate

    currency = "USD"
    quote_currency = "CNY"
    rate_date = TODAY
    rate = Decimal("7.10")


class ModelAllocationFactory(factory.django.DjangoModelFactory):
    """A model allocation; pass ``weights={class: (target, tolerance)}``."""

    class Meta:
        model = ModelAllocation
        skip_postgeneration_save = True

    risk_level = "C3"
    version = factory.Sequence(lambda n: 100 + n)
    effective_from = datetime.date(2020, 1, 1)

    @factory.post_generation
    def weights(self, create, extracted, **kwargs):
        if create and extracted:
            ModelAllocationWeight.objects.bulk_create([
                ModelAllocationWeight(allocation=self, asset_class=c, target_weight=Decimal(t), tolerance=Decimal(tol))
                for c, (t, tol) in extracted.items()
            ])


class DrawdownLimitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DrawdownLimit

    client = factory.SubFactory(ClientFactory)
    max_drawdown_pct = Decimal("10")


class AlertFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Alert

    client = factory.SubFactory(ClientFactory)
    kind = Alert.Kind.SINGLE_HOLDING
    subject = factory.Sequence(lambda n: f"SUBJ{n}")
    message = "Test alert"


class GoalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Goal

    client = factory.SubFactory(ClientFactory)
    kind = Goal.Kind.EDUCATION
    name = "University"
    target_amount = Decimal("100000")
    target_date = datetime.date(2031, 11, 20)


def concentration_limits_set(**thresholds) -> None:
    """Set the named limits (e.g. ``single_holding=20``) and switch every other kind off."""
    ConcentrationLimit.objects.update(is_active=False)
    for kind, threshold in thresholds.items():
        ConcentrationLimit.objects.update_or_create(kind=kind, risk_level="", aum_tier="",
                                                    defaults={"threshold": Decimal(threshold), "is_active": True})
