"""Goals: horizon, funding, funded ratio and the monthly saving needed, pinned to hand-worked figures.

The maths (r = annual return / 12, n = whole months to the target date):
    projected funding  FV = F × (1 + r)^n
    shortfall          S  = target − FV (never below 0)
    monthly saving     P  = S × r / ((1 + r)^n − 1), paid at the end of each month; S / n when r = 0
Only the results are rounded, half up to the cent.
"""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from portfolios import services
from portfolios.models import Goal
from portfolios.selectors import Horizon, goal_progress, months_between

from .factories import TODAY, AccountFactory, FxRateFactory, GoalFactory, HoldingFactory, InstrumentFactory

pytestmark = pytest.mark.django_db


def in_months(months: int) -> datetime.date:
    year, month = divmod(TODAY.month - 1 + months, 12)
    return TODAY.replace(year=TODAY.year + year, month=month + 1)


def progress(client, *, target, funded, annual, months):
    goal = GoalFactory(client=client, target_amount=Decimal(target), funded_amount=Decimal(funded),
                       expected_return_pct=Decimal(annual), target_date=in_months(months))
    return goal_progress(goal=goal, today=TODAY)


def test_it_saves_the_classic_one_percent_a_month_example(client_record):
    # r = 12 % / 12 = 0.01, n = 12: (1.01)^12 = 1.12682503…, so (1.01^12 − 1) / 0.01 = 12.682503…
    # Nothing funded: P = 100,000 / 12.682503… = 7,884.8789 → 7,884.88.
    result = progress(client_record, target="100000", funded="0", annual="12", months=12)

    assert result.monthly_saving == Decimal("7884.88")
    assert (result.shortfall, result.funded_ratio) == (Decimal("100000.00"), Decimal("0.00"))


def test_it_grows_the_current_funding_before_saving_for_the_rest(client_record):
    # F = 10,000 grows to 10,000 × 1.12682503… = 11,268.25; S = 100,000 − 11,268.2503 = 88,731.7497;
    # P = 88,731.7497 / 12.682503… = 6,996.3910 → 6,996.39.
    result = progress(client_record, target="100000", funded="10000", annual="12", months=12)

    assert result.projected_funding == Decimal("11268.25")
    assert result.shortfall == Decimal("88731.75")
    assert result.monthly_saving == Decimal("6996.39")
    assert result.funded_ratio == Decimal("10.00")


def test_it_pins_a_five_year_education_fund(client_record):
    # r = 6 % / 12 = 0.005, n = 60: (1.005)^60 = 1.34885015…;
    # FV = 50,000 × 1.34885015… = 67,442.51; S = 32,557.49;
    # P = 32,557.4924 × 0.005 / 0.34885015… = 162.787462 / 0.348850153 = 466.6401 → 466.64.
    result = progress(client_record, target="100000", funded="50000", annual="6", months=60)

    assert (result.projected_funding, result.shortfall, result.monthly_saving) == (
        Decimal("67442.51"), Decimal("32557.49"), Decimal("466.64"))
    assert (result.months_left, result.horizon) == (60, Horizon.LONG)
    assert result.funded_ratio == Decimal("50.00")


def test_it_pins_a_ten_year_retirement_goal_rounding_up_the_last_cent(client_record):
    # r = 4 % / 12 = 0.0033333…, n = 120: (1 + r)^120 = 1.49083268…;
    # FV = 200,000 × 1.49083268… = 298,166.54; S = 201,833.46;
    # P = 201,833.4635 × 0.0033333… / 0.49083268… = 1,370.68748 → 1,370.69.
    result = progress(client_record, target="500000", funded="200000", annual="4", months=120)

    assert (result.shortfall, result.monthly_saving) == (Decimal("201833.46"), Decimal("1370.69"))


def test_it_divides_the_shortfall_evenly_without_a_return(client_record):
    # r = 0: P = (120,000 − 60,000) / 24 = 2,500.00.
    result = progress(client_record, target="120000", funded="60000", annual="0", months=24)

    assert result.monthly_saving == Decimal("2500.00")
    assert result.horizon == Horizon.SHORT


def test_it_needs_no_saving_once_the_funding_will_grow_to_the_target(client_record):
    # 95,000 × 1.01^12 = 107,048.38 ≥ 100,000.
    result = progress(client_record, target="100000", funded="95000", annual="12", months=12)

    assert (result.shortfall, result.monthly_saving, result.on_track) == (Decimal("0.00"), Decimal("0.00"), True)


def test_it_asks_for_the_whole_shortfall_when_the_date_has_come(client_record):
    result = progress(client_record, target="100000", funded="40000", annual="5", months=-3)

    assert (result.months_left, result.monthly_saving) == (0, Decimal("60000.00"))


@pytest.mark.parametrize(("months", "horizon"), [
    (12, Horizon.SHORT), (35, Horizon.SHORT), (36, Horizon.MEDIUM), (59, Horizon.MEDIUM),
    (60, Horizon.LONG), (120, Horizon.LONG),
])
def test_it_sorts_goals_into_horizons(client_record, months, horizon):
    assert progress(client_record, target="1000", funded="0", annual="0", months=months).horizon == horizon


def test_it_counts_only_whole_months():
    assert months_between(datetime.date(2026, 11, 20), datetime.date(2029, 11, 19)) == 35
    assert months_between(datetime.date(2026, 11, 20), datetime.date(2029, 11, 20)) == 36
    assert months_between(datetime.date(2026, 11, 20), datetime.date(2026, 1, 1)) == 0


def test_it_funds_a_goal_from_its_linked_accounts_in_the_base_currency(client_record):
    FxRateFactory(currency="USD", rate=Decimal("7.10"))
    account = AccountFactory(client=client_record)
    HoldingFactory(account=account, market_value=Decimal("20000"))
    HoldingFactory(account=account, instrument=InstrumentFactory(currency="USD"), market_value=Decimal("1000"))
    HoldingFactory(account=AccountFactory(client=client_record), market_value=Decimal("999999"))  # not linked
    goal = services.goal_create(
        client=client_record, kind=Goal.Kind.PROPERTY, name="Flat", target_amount=Decimal("271000"),
        target_date=in_months(24), funded_amount=Decimal("5"), linked_accounts=[account],
    )

    result = goal_progress(goal=goal, today=TODAY)

    # 20,000 + 1,000 × 7.10 = 27,100 of 271,000: 10 %. The recorded 5 is ignored.
    assert (result.funded_amount, result.funded_ratio) == (Decimal("27100.00"), Decimal("10.00"))


def test_it_validates_goals(client_record):
    with pytest.raises(ValidationError):  # the database's goal_target_positive check, run by full_clean
        services.goal_create(client=client_record, kind=Goal.Kind.OTHER, name="Boat", target_amount=Decimal("0"),
                             target_date=in_months(12))
    assert not Goal.objects.exists()

    goal = GoalFactory(client=client_record)
    with pytest.raises(ValidationError):
        services.goal_update(goal=goal, linked_accounts=[AccountFactory()])  # another client's account

    services.goal_update(goal=goal, name="Oxford", expected_return_pct=Decimal("3.5"))
    goal.refresh_from_db()
    assert (goal.name, goal.expected_return_pct) == ("Oxford", Decimal("3.5000"))
