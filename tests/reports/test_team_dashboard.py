"""The team-lead dashboard (/reports/team/): per RM of the lead's teams, figures and access."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from communications.models import Reminder, ReviewSchedule
from crm.models import Team
from portfolios.models import Alert
from reports import selectors
from tests.factories import ClientFactory, ManagerFactory
from tests.portfolios.factories import AlertFactory

from .conftest import TODAY

pytestmark = pytest.mark.django_db


def _rows(dashboard) -> dict:
    return {row.manager.username: row for row in dashboard["rows"]}


def test_a_lead_gets_one_row_per_rm_of_the_team_with_their_figures(book, team_lead, owner):
    today = TODAY
    Reminder.objects.bulk_create([
        Reminder(client=book.big, kind="review", due_on=today, manager=owner),
        Reminder(client=book.small, kind="review", due_on=today - timedelta(days=2), manager=owner),
        Reminder(client=book.big, kind="follow-up", due_on=today + timedelta(days=1), manager=owner),
    ])
    ReviewSchedule.objects.bulk_create([
        ReviewSchedule(client=book.big, anchor_on=today - timedelta(days=300), interval_months=12,
                       due_on=today - timedelta(days=5)),
        ReviewSchedule(client=book.small, anchor_on=today - timedelta(days=300), interval_months=12,
                       due_on=today + timedelta(days=10)),
        ReviewSchedule(client=book.teammates, anchor_on=today - timedelta(days=300), interval_months=12,
                       due_on=today + timedelta(days=90)),
    ])
    AlertFactory(client=book.big, kind=Alert.Kind.STOP_LOSS)
    AlertFactory(client=book.teammates, kind=Alert.Kind.REGION)
    dashboard = selectors.team_dashboard(user=team_lead, today=today)
    rows = _rows(dashboard)
    assert set(rows) == {"owner", "teammate", "lead"}  # never the other team's outsider
    mine = rows["owner"]
    assert (mine.client_count, mine.hnw_count, mine.aum) == (2, 1, Decimal("1250000.50"))
    assert (mine.aum_days_ago, mine.aum_year_start) == (Decimal("1100000.25"), Decimal("800000.00"))
    assert mine.change_year.percent == Decimal("56.3")
    assert (mine.reminders_today, mine.reminders_overdue) == (1, 1)
    assert (mine.reviews_due, mine.reviews_overdue) == (1, 1)
    assert (mine.drawdown, mine.concentration) == (1, 0)
    theirs = rows["teammate"]
    assert (theirs.client_count, theirs.aum, theirs.reviews_due, theirs.concentration) == (
        1, Decimal("600000.00"), 0, 1)
    assert dashboard["total"].client_count == 3 and dashboard["total"].aum == Decimal("1850000.50")


def test_compliance_sees_every_team_and_filters_by_one(book, compliance, other_lead):
    everyone = _rows(selectors.team_dashboard(user=compliance, today=TODAY))
    assert {"owner", "teammate", "outsider"} <= set(everyone)
    team = Team.objects.get(lead=other_lead)
    only = _rows(selectors.team_dashboard(user=compliance, team_id=team.pk, today=TODAY))
    assert set(only) == {"outsider"}
    assert only["outsider"].aum == Decimal("7000000.00")


def test_a_lead_cannot_pick_another_team(book, team_lead, other_lead):
    other = Team.objects.get(lead=other_lead)
    dashboard = selectors.team_dashboard(user=team_lead, team_id=other.pk, today=TODAY)
    assert dashboard["team"] is None and "outsider" not in _rows(dashboard)


@pytest.mark.parametrize(("role", "status"), [("owner", 404), ("outsider", 404), ("team_lead", 200),
                                              ("other_lead", 200), ("compliance", 200), ("administrator", 200)])
def test_the_page_is_for_leads_and_supervisors(client, book, request, role, status):
    client.force_login(request.getfixturevalue(role))
    response = client.get(reverse("reports:team"))
    assert response.status_code == status
    if role == "other_lead":
        html = response.content.decode()
        assert "Olivia Owner" not in html and "Big Client" not in html


def _grow(lead, count: int) -> None:
    """``count`` more RMs in the lead's team, each with clients, reminders and alerts."""
    team = Team.objects.get(lead=lead)
    today = timezone.localdate()
    for index in range(count):
        manager = ManagerFactory(username=f"grown{index}")
        team.members.add(manager)
        for _ in range(2):
            extra = ClientFactory(manager=manager, aum_total=Decimal("1000.00"))
            Reminder.objects.create(client=extra, kind="review", due_on=today - timedelta(days=1), manager=manager)
            AlertFactory(client=extra, kind=Alert.Kind.DRAWDOWN)


def test_the_page_keeps_its_query_count_whatever_the_number_of_rms_and_clients(client, book, team_lead):
    client.force_login(team_lead)
    client.get(reverse("reports:team"))
    with CaptureQueriesContext(connection) as small:
        assert client.get(reverse("reports:team")).status_code == 200
    _grow(team_lead, 5)
    with CaptureQueriesContext(connection) as large:
        response = client.get(reverse("reports:team"))
    assert response.content.decode().count('data-testid="team-row"') == 8
    assert len(large) == len(small)


def test_the_selector_runs_a_fixed_number_of_queries(book, team_lead, django_assert_num_queries):
    selectors.team_dashboard(user=team_lead)  # roles cached, as on the page
    # teams, RMs, then one GROUP BY each: clients with AUM and unsuitable holdings (their stored counts per
    # product rating), reminders, reviews, alerts, feedback
    with django_assert_num_queries(7):
        selectors.team_dashboard(user=team_lead)
    _grow(team_lead, 3)
    with django_assert_num_queries(7):
        selectors.team_dashboard(user=team_lead)
