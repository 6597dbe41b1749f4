"""The RM dashboard (/dashboard/): the reports app's panels, their figures and their query counts."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from communications.models import Feedback, Reminder
from crm import panels
from crm.roles import user_roles
from portfolios.models import Alert
from reports import selectors
from tests.factories import ClientFactory
from tests.panels import _request as panel_request
from tests.panels import panels_queries
from tests.portfolios.factories import AlertFactory

from .conftest import TODAY

pytestmark = pytest.mark.django_db


def test_the_book_sums_aum_now_and_at_past_days_from_the_latest_snapshot_on_or_before(book, owner):
    figures = selectors.dashboard_book(user=owner, today=TODAY)
    assert figures["client_count"] == 2  # the merged-away record is left out
    assert figures["aum"] == Decimal("1250000.50")
    # 30 days before 2026-06-15 is 2026-05-16: big's 2026-05-10 snapshot, small's 2026-01-15 one.
    assert figures["change_days"].since == date(2026, 5, 16)
    assert figures["change_days"].before == Decimal("1100000.25")
    assert figures["change_days"].amount == Decimal("150000.25")
    assert figures["change_days"].percent == Decimal("13.6")
    # The start of the year: big's 2025-12-31 snapshot; small had none yet.
    assert figures["change_year"].before == Decimal("800000.00")
    assert figures["change_year"].amount == Decimal("450000.50")
    assert figures["change_year"].percent == Decimal("56.3")


def test_the_aum_history_has_twelve_points_month_ends_then_today(book, owner):
    history = dict(selectors.dashboard_book(user=owner, today=TODAY)["history"])
    days = list(history)
    assert (days[0], days[-1], len(days)) == (date(2025, 7, 31), TODAY, 12)
    assert history[date(2025, 11, 30)] == 0
    assert history[date(2025, 12, 31)] == Decimal("800000.00")
    assert history[date(2026, 4, 30)] == Decimal("1000000.25")
    assert history[date(2026, 5, 31)] == Decimal("1150000.25")
    assert history[TODAY] == Decimal("1250000.50")


def test_the_tier_split_counts_clients_and_aum_per_tier(book, owner):
    tiers = {row["tier"]: row for row in selectors.dashboard_book(user=owner, today=TODAY)["tiers"]}
    assert (tiers["hnw"]["client_count"], tiers["hnw"]["aum"], tiers["hnw"]["share"]) == (
        1, Decimal("1000000.00"), Decimal("80.0"))
    assert (tiers["mass"]["client_count"], tiers["mass"]["aum"]) == (1, Decimal("250000.50"))
    assert tiers["affluent"]["client_count"] == 0


def test_the_tier_counts_the_dashboard_passes_give_the_same_book(book, owner, team_lead):
    from crm.selectors import client_tier_summary

    for user in (owner, team_lead):
        counted = selectors.dashboard_book(user=user, today=TODAY)
        passed = selectors.dashboard_book(user=user, today=TODAY, tiers=client_tier_summary(user=user))
        assert (passed["client_count"], passed["aum"], passed["tiers"]) == (
            counted["client_count"], counted["aum"], counted["tiers"])


def test_a_team_lead_sees_the_team_book_and_an_outsider_nothing_of_it(book, team_lead, outsider):
    assert selectors.dashboard_book(user=team_lead, today=TODAY)["aum"] == Decimal("1850000.50")
    assert selectors.dashboard_book(user=outsider, today=TODAY)["aum"] == Decimal("7000000.00")


def test_reminders_count_due_today_and_overdue_per_kind(book, owner, outsider):
    today = timezone.localdate()
    Reminder.objects.bulk_create([
        Reminder(client=book.big, kind="review", due_on=today, manager=owner),
        Reminder(client=book.small, kind="review", due_on=today - timedelta(days=3), manager=owner),
        Reminder(client=book.big, kind="follow-up", due_on=today - timedelta(days=1), manager=owner),
        Reminder(client=book.big, kind="follow-up", due_on=today + timedelta(days=2), manager=owner),
        Reminder(client=book.small, kind="review", due_on=today - timedelta(days=9), manager=owner,
                 done_at=timezone.now()),
        Reminder(client=book.outsiders, kind="review", due_on=today, manager=outsider),
    ])
    figures = selectors.dashboard_reminders(user=owner, today=today)
    assert (figures["due_today"], figures["overdue"]) == (1, 2)
    assert {row["kind"]: (row["overdue"], row["due_today"]) for row in figures["kinds"]} == {
        "review": (1, 1), "follow-up": (1, 0)}
    assert [r.client_id for r in figures["urgent"]] == [book.small.pk, book.big.pk, book.big.pk]


def test_risk_counts_alerts_by_kind_and_assessments(book, owner):
    AlertFactory(client=book.big, kind=Alert.Kind.DRAWDOWN)
    AlertFactory(client=book.big, kind=Alert.Kind.SINGLE_HOLDING)
    AlertFactory(client=book.small, kind=Alert.Kind.ISSUER)
    AlertFactory(client=book.small, kind=Alert.Kind.ISSUER, resolved_at=timezone.now())
    AlertFactory(client=book.outsiders, kind=Alert.Kind.DRAWDOWN)
    book.big.risk_level_basis, book.big.risk_valid_until = "assessment", TODAY - timedelta(days=1)
    book.big.save()
    figures = selectors.dashboard_risk(user=owner, today=TODAY)
    assert (figures["drawdown"], figures["concentration"]) == (1, 2)
    assert (figures["expired"], figures["expiring"], figures["missing"]) == (1, 0, 1)


def test_risk_counts_unsuitable_holdings_as_the_holdings_do(book, owner):
    from django.db.models import Count

    from portfolios.selectors import holding_list_unsuitable
    from tests.portfolios.factories import HoldingFactory, InstrumentFactory

    r3 = InstrumentFactory(code="R3FUND", risk_rating="R3")
    HoldingFactory(account__client=book.big, instrument=r3)
    HoldingFactory(account__client=book.big, instrument=InstrumentFactory(code="R1DEP", risk_rating="R1"))
    HoldingFactory(account__client=book.small, instrument=r3)
    HoldingFactory(account__client=book.outsiders, instrument=r3)
    figures = selectors.dashboard_risk(user=owner, today=TODAY)
    live = holding_list_unsuitable(clients=selectors.book_clients(user=owner), today=TODAY).aggregate(
        holdings=Count("pk"), clients=Count("account__client", distinct=True))
    assert (figures["unsuitable_holdings"], figures["unsuitable_clients"]) == (live["holdings"], live["clients"]) == (
        2, 2)


def test_feedback_scores_the_last_ninety_days(book, owner):
    now = timezone.now()
    Feedback.objects.bulk_create([
        Feedback(client=book.big, manager=owner, nps=10, csat=5, submitted_at=now),
        Feedback(client=book.small, manager=owner, nps=3, csat=2, submitted_at=now - timedelta(days=10)),
        Feedback(client=book.small, manager=owner, nps=8, submitted_at=now - timedelta(days=20)),
        Feedback(client=book.big, manager=owner, nps=0, csat=1, submitted_at=now - timedelta(days=200)),
        Feedback(client=book.outsiders, nps=0, csat=1, submitted_at=now),
    ])
    figures = selectors.dashboard_feedback(user=owner)
    # 3 answers: 1 promoter, 1 detractor, 1 passive: NPS 0.0; CSAT (5 + 2) / 2 = 3.5
    assert figures["scores"] == {"answers": 3, "nps": Decimal("0.0"), "csat": Decimal("3.5")}
    assert len(figures["latest"]) == 4  # the latest answers, older ones included, never the outsider's


def test_the_dashboard_page_shows_the_panels_and_chart_data(client, book, owner):
    client.force_login(owner)
    response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    html = response.content.decode()
    for testid in ("dashboard-book", "aum-history-chart", "aum-tier-chart", "dashboard-reminders", "dashboard-risk",
                   "dashboard-feedback"):
        assert f'data-testid="{testid}"' in html
    assert 'id="dashboard-chart-data"' in html and "reports/charts.js" in html
    assert "Outsider Client" not in html


def _grow(owner, count: int) -> None:
    """More clients for the owner, each with snapshots, reminders, alerts and feedback."""
    today = timezone.localdate()
    for index in range(count):
        extra = ClientFactory(manager=owner, aum_total=Decimal("1000.00"))
        extra.valuations.create(valuation_date=today - timedelta(days=40), aum=Decimal("900.00"), currency="CNY")
        Reminder.objects.create(client=extra, kind="review", due_on=today - timedelta(days=index + 1), manager=owner)
        AlertFactory(client=extra, kind=Alert.Kind.DRAWDOWN)
        Feedback.objects.create(client=extra, manager=owner, nps=9, csat=4, comments=f"Fine {index}")


def _panel_queries(key: str, *, user) -> int:
    panel = next(p for p in panels.registered(panels.DASHBOARD) if p.key == key)
    request = panel_request(user)
    with CaptureQueriesContext(connection) as queries:
        panel.context(request=request)
    return len(queries)


@pytest.mark.parametrize(("key", "expected"), [
    ("reports-book", 1),  # one aggregate: counts, AUM, tiers and every past day's snapshot sum
    # reminders: counts per kind, the urgent few; risk: alerts, then assessments and unsuitable holdings
    # in one pass over the clients (their stored counts per product rating: no holding is read)
    ("reports-attention", 4),
    ("reports-feedback", 2),  # the scores, the latest answers
])
def test_each_reports_panel_costs_a_fixed_number_of_queries_at_two_book_sizes(book, owner, key, expected):
    _panel_queries(key, user=owner)  # caches what every page has cached by then (roles, content types)
    assert _panel_queries(key, user=owner) == expected
    _grow(owner, 6)
    assert _panel_queries(key, user=owner) == expected


def test_the_dashboard_page_keeps_its_query_count_as_the_book_grows(client, book, owner):
    _grow(owner, 1)  # one of everything, so that no panel skips a query for want of rows
    client.force_login(owner)
    client.get(reverse("dashboard"))
    with CaptureQueriesContext(connection) as small:
        assert client.get(reverse("dashboard")).status_code == 200
    _grow(owner, 8)
    with CaptureQueriesContext(connection) as large:
        assert client.get(reverse("dashboard")).status_code == 200
    assert len(large) == len(small)
    assert panels_queries(panels.DASHBOARD, user=owner) <= len(small)


def test_past_days_are_summed_once_a_day_and_shared_by_every_supervisor(book, compliance, administrator,
                                                                         django_assert_num_queries):
    selectors.dashboard_book(user=compliance, today=TODAY)  # the past days' sums computed and cached
    user_roles(administrator)  # as the page has them by then
    with django_assert_num_queries(1):  # today's figures only: the past comes from the cache
        figures = selectors.dashboard_book(user=administrator, today=TODAY)
    # 2025-12-31: big's 800,000.00 and the outsider's 6,000,000.00 (the merged record is left out)
    assert figures["change_year"].before == Decimal("6800000.00")


def test_compliance_sees_the_whole_book_and_no_reminders_card(client, book, compliance):
    client.force_login(compliance)
    html = client.get(reverse("dashboard")).content.decode()
    assert "The whole book" in html and 'data-testid="dashboard-risk"' in html
    assert 'data-testid="dashboard-reminders"' not in html
