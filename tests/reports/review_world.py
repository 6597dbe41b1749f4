"""A client with everything the review report shows: an assessed risk level, holdings across asset
classes (one rated above the level, with an exception; one without), a valuation history with a
contribution, a goal."""

from datetime import timedelta
from decimal import Decimal

from portfolios.cash_flows import cash_flow_record
from portfolios.models import CashFlow, ValuationSnapshot
from portfolios.services import (
    ExceptionTerms,
    holding_suitability_exception_record,
    valuation_refresh,
)
from risk import selectors as risk_selectors
from risk import services as risk_services
from risk.models import Assessment
from tests.portfolios.factories import (
    TODAY,
    AccountFactory,
    GoalFactory,
    HoldingFactory,
    InstrumentFactory,
)
from tests.risk.conftest import answers_scoring

CLASSES = ["equity", "cash", "fund", "fixed_income"]
CONTRIBUTION = Decimal("90000")


def review_world_build(client, *, recorded_by, holdings: int = 4, months: int = 3, flagged: int = 2) -> None:
    """``holdings`` positions (the first ``flagged`` rated R5, the first of them with an exception),
    ``months`` monthly valuations before today's, a contribution 10 days ago, one goal."""
    version = risk_selectors.questionnaire_version_current()
    risk_services.assessment_complete(client=client, version=version, answers=answers_scoring(version, 3),
                                      channel=Assessment.Channel.WITH_RM, recorded_by=recorded_by)
    client.refresh_from_db()
    account = AccountFactory(client=client)
    rows = []
    for n in range(holdings):
        instrument = InstrumentFactory(code=f"REV{n:04d}", name=f"Product {n}", asset_class=CLASSES[n % 4],
                                       risk_rating="R5" if n < flagged else "R1")
        rows.append(HoldingFactory(account=account, instrument=instrument, quantity=Decimal(100000 + n)))
    if flagged:
        holding_suitability_exception_record(
            holding=rows[0], recorded_by=recorded_by,
            terms=ExceptionTerms(reason="Inherited shares", client_acknowledged=True, client_acknowledged_on=TODAY))
    ValuationSnapshot.objects.bulk_create([
        ValuationSnapshot(client=client, valuation_date=TODAY - timedelta(days=30 * (months - n)),
                          aum=Decimal(300000 + 1000 * n), currency="CNY", by_asset_class={})
        for n in range(months)
    ])
    cash_flow_record(client=client, kind=CashFlow.Kind.CONTRIBUTION, flow_date=TODAY - timedelta(days=10),
                     amount=CONTRIBUTION, currency="CNY", recorded_by=recorded_by)
    GoalFactory(client=client, name="Daughter's university", target_amount=Decimal(500000))
    valuation_refresh(client_id=client.pk, valuation_date=TODAY)
