"""The client review report: what the RM hands the client after a review (a printable page and a PDF).

One selector assembles it from the apps' own selectors: the client through ``crm.access`` (so
another RM's client is a 404), the portfolio page's figures (``portfolios.selectors.portfolio_page``:
allocation against the model target, goals, suitability flags and exceptions), the performance of
its assets (``portfolios.performance.client_performance``: time-weighted returns, flows, market
movement, unrealised P/L, on the page's own portfolio summary), the
risk record (the level, its basis and validity on the client; the latest assessment from
``risk.selectors``) and the next review date (``communications.selectors``). Nothing here
computes what those selectors already do; the page and the PDF render the same dictionary.
"""

from dataclasses import dataclass
from datetime import date

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from communications.selectors import review_due_on
from crm import access, masking
from crm.models import Client
from portfolios import performance
from portfolios import selectors as portfolio_selectors
from risk.selectors import assessment_latest

DISCLAIMER = gettext_lazy(
    "This report is for the client's information only. It is not an offer or a recommendation to buy or "
    "sell any product, and past performance does not guarantee future results.")


def id_number_last4(value: str) -> str:
    """An ID number as the report prints it, whoever reads it: only its last four characters."""
    value = value or ""
    if len(value) <= 4:
        return masking.MASK * len(value)
    return masking.MASK * (len(value) - 4) + value[-4:]


@dataclass(frozen=True)
class ProfileRow:
    label: str
    value: str


def profile_rows(*, user, client: Client) -> list[ProfileRow]:
    """The client's profile as the report lists it. The phone number is masked as crm.masking says
    for this reader (in full for the client's own RM); the ID number always shows its last 4 only."""
    birth = client.birth_date.isoformat() if client.birth_date else ""
    kyc = client.get_kyc_status_display()
    if client.kyc_date:
        kyc = f"{kyc} ({client.kyc_date.isoformat()})"
    rows = [
        (_("Client number"), str(client.pk)),
        (_("Legal name"), client.legal_name),
        (_("Preferred name"), client.preferred_name if client.preferred_name != client.legal_name else ""),
        (_("Kind"), client.get_kind_display()),
        (_("ID document"), f"{client.get_id_type_display()} {id_number_last4(client.id_number)}".strip()
         if client.id_number else ""),
        (_("Date of birth / incorporation"), birth),
        (_("Phone"), masking.client_pii(user=user, client=client, field="phone")),
        (_("E-mail"), client.email),
        (_("Occupation"), client.occupation),
        (_("KYC status"), kyc),
        (_("Investment goal"), client.get_investment_goal_display()),
        (_("Investment preference"), client.get_investment_preference_display()),
        (_("Liquidity need"), client.get_liquidity_need_display()),
        (_("Return expectation"), client.get_return_expectation_display()),
        (_("AUM tier"), client.get_aum_tier_display()),
    ]
    return [ProfileRow(str(label), str(value)) for label, value in rows if value]


def months_measured(returns: performance.ClientPerformance) -> list[performance.PeriodReturn]:
    """The last 12 months from the first with a return: a client valued only since the summer gets no
    rows of dashes for the winter before."""
    months = list(returns.months)
    first = next((index for index, month in enumerate(months) if month.has_data), len(months))
    return months[first:]


def client_review_report(*, user, pk: int, today: date | None = None) -> dict:
    """Everything the review report shows for the client ``pk``, if ``user`` may see the client (else 404).

    Queries do not grow with holdings, valuations, flows, goals or exceptions: the client (1) and its
    primary RM (1), ``portfolio_page``'s (see there: a fixed number, plus one per goal funded by linked
    accounts), ``client_performance``'s (2: valuations and flows), the latest assessment with its
    flagged rules (2) and the review schedule (1, and the cadences before the client's first scheduling).
    """
    today = today or timezone.localdate()
    client = access.client_get_visible(user=user, pk=pk)
    portfolio = portfolio_selectors.portfolio_page(client=client, today=today)
    # Time-weighted returns with flows apart from market movement, and P/L, on the page's own summary.
    returns = performance.client_performance(client=client, on_date=today, summary=portfolio.get("summary"))
    report = {
        "client": client,
        "report_date": today,
        "manager": client.primary_manager,
        "profile": profile_rows(user=user, client=client),
        "portfolio": portfolio,
        "summary": portfolio.get("summary"),
        "fx_error": portfolio.get("fx_error", ""),
        "goals": portfolio.get("goals", []),
        "assessment": assessment_latest(client=client),
        "rating_highest": portfolio_selectors.rating_highest_for(client),
        "suitability_flags": portfolio.get("suitability_flags", []),
        "suitability_exceptions": portfolio.get("suitability_exceptions", []),
        "next_review_on": review_due_on(client=client),
        "performance": returns,
        "performance_months": months_measured(returns),
        "disclaimer": DISCLAIMER,
    }
    return report


def client_review_panel(*, request, client: Client) -> dict:
    """The client page's link to the review report (crm.panels, registered in apps.py); no query:
    whoever sees the client page may open the report."""
    return {"client": client}
