"""Concentration: single holding, asset class band, region, industry, issuer and bank deposits
against the admin-set limits (strictly above a limit is a breach)."""

from decimal import Decimal

import pytest

from portfolios.models import Account, AssetClass, ConcentrationLimit
from portfolios.selectors import concentration_breaches

from .factories import (
    AccountFactory,
    FxRateFactory,
    HoldingFactory,
    InstitutionFactory,
    InstrumentFactory,
    ModelAllocationFactory,
    concentration_limits_set,
)

pytestmark = pytest.mark.django_db
Kind = ConcentrationLimit.Kind


def hold(account, amount, **instrument):
    return HoldingFactory(account=account, instrument=InstrumentFactory(**instrument), market_value=Decimal(amount))


def breaches(client):
    return [(b.kind, b.subject, b.actual, b.limit) for b in concentration_breaches(client=client)]


def test_it_ships_the_default_limits(db):
    assert dict(ConcentrationLimit.objects.values_list("kind", "threshold")) == {
        Kind.SINGLE_HOLDING: Decimal("20"), Kind.REGION: Decimal("60"), Kind.INDUSTRY: Decimal("30"),
        Kind.ISSUER: Decimal("20"), Kind.BANK_DEPOSIT: Decimal("500000"), Kind.ASSET_CLASS_BAND: Decimal("0"),
    }


def test_it_flags_a_single_holding_above_its_limit_summed_over_accounts(client_record):
    concentration_limits_set(single_holding=20)
    big = InstrumentFactory(code="600519")
    HoldingFactory(account=AccountFactory(client=client_record), instrument=big, market_value=Decimal("150000"))
    HoldingFactory(account=AccountFactory(client=client_record), instrument=big, market_value=Decimal("100000"))
    hold(AccountFactory(client=client_record), "200000", code="AT-LIMIT")  # exactly 20 %: not above
    hold(AccountFactory(client=client_record), "550000", code="BIG")  # 55 %

    found = concentration_breaches(client=client_record)

    # AUM 1,000,000: 600519 is 150,000 + 100,000 = 25 %.
    assert [(b.kind, b.subject, b.actual, b.limit) for b in found] == [
        (Kind.SINGLE_HOLDING, "600519", Decimal("25.00"), Decimal("20")),
        (Kind.SINGLE_HOLDING, "BIG", Decimal("55.00"), Decimal("20")),
    ]
    assert found[0].message == "Holding 600519 is 25.00% of AUM, above the 20% limit."


@pytest.mark.parametrize(("kind", "attribute"), [(Kind.REGION, "region"), (Kind.INDUSTRY, "industry"),
                                                 (Kind.ISSUER, "issuer")])
def test_it_flags_a_region_industry_or_issuer_above_its_limit(client_record, kind, attribute):
    concentration_limits_set(**{kind: 30})
    account = AccountFactory(client=client_record)
    hold(account, "200000", **{attribute: "Alpha"})
    hold(account, "110000", **{attribute: "Alpha"})  # Alpha: 310,000 = 31 %
    hold(account, "300000", **{attribute: "Beta"})  # Beta: exactly 30 %, not above
    hold(account, "390000", **{attribute: ""})  # blank: not a group of its own

    assert breaches(client_record) == [(kind, "Alpha", Decimal("31.00"), Decimal("30"))]


def test_it_flags_deposits_at_one_bank_above_the_insurance_cover_in_the_base_currency(client_record):
    concentration_limits_set(bank_deposit=500000)
    FxRateFactory(currency="USD", rate=Decimal("7.10"))
    big_bank = InstitutionFactory(name="Big Bank")
    small_bank = InstitutionFactory(name="Small Bank")
    dollar_bank = InstitutionFactory(name="Dollar Bank")
    custodian = InstitutionFactory(name="Custodian", is_bank=False)

    def deposit(institution, amount, currency="CNY", asset_class=AssetClass.CASH):
        account = AccountFactory(client=client_record, institution=institution, kind=Account.Kind.DEPOSIT)
        hold(account, amount, asset_class=asset_class, currency=currency)

    deposit(big_bank, "300000")
    deposit(big_bank, "300000")  # 600,000 at one bank over two accounts
    deposit(big_bank, "900000", asset_class=AssetClass.EQUITY)  # not a deposit
    deposit(small_bank, "500000")  # exactly the cover: not above
    deposit(dollar_bank, "80000", currency="USD")  # 80,000 USD × 7.10 = 568,000 CNY
    deposit(custodian, "2000000")  # not a deposit-taking bank

    assert breaches(client_record) == [
        (Kind.BANK_DEPOSIT, "Big Bank", Decimal("600000.00"), Decimal("500000")),
        (Kind.BANK_DEPOSIT, "Dollar Bank", Decimal("568000.00"), Decimal("500000")),
    ]


def test_it_flags_an_asset_class_outside_its_model_band(client_record):
    concentration_limits_set(asset_class_band=0)
    client_record.risk_level = "C3"
    client_record.save()
    ModelAllocationFactory(risk_level="C3", weights={"cash": (20, 5), "equity": (80, 5)})
    account = AccountFactory(client=client_record)
    hold(account, "260000", asset_class=AssetClass.CASH)  # 26 %: band 15–25
    hold(account, "740000", asset_class=AssetClass.EQUITY)  # 74 %: band 75–85

    assert breaches(client_record) == [
        (Kind.ASSET_CLASS_BAND, "cash", Decimal("26.00"), Decimal("20")),
        (Kind.ASSET_CLASS_BAND, "equity", Decimal("74.00"), Decimal("80")),
    ]

    # A positive threshold replaces the model's tolerance: ±10 points lets both through.
    concentration_limits_set(asset_class_band=10)
    assert breaches(client_record) == []


def test_it_ignores_a_limit_an_administrator_switched_off(client_record):
    concentration_limits_set()  # every limit inactive
    hold(AccountFactory(client=client_record), "1000000", region="China", issuer="One")

    assert breaches(client_record) == []


def test_it_finds_nothing_in_an_empty_portfolio(client_record):
    assert breaches(client_record) == []
