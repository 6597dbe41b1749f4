"""NPS and CSAT: the standard NPS definition (% promoters 9–10 minus % detractors 0–6), per month,
per RM, team and AUM tier, within what the user may see, in a constant number of queries."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from communications.feedback_selectors import (
    Score,
    csat_average,
    months_back,
    nps_score,
    satisfaction_report,
)
from crm.models import Client
from tests.factories import ClientFactory, ManagerFactory, TeamFactory

from .feedback_factories import FeedbackFactory

pytestmark = pytest.mark.django_db


def score_of(answers: list[int]) -> Decimal | None:
    """NPS of a list of 0–10 answers, through the same counts the database makes."""
    score = Score()
    score.add({"answers": len(answers), "nps_responses": len(answers), "promoters": sum(a >= 9 for a in answers),
               "detractors": sum(a <= 6 for a in answers), "csat_responses": 0, "csat_total": None})
    return score.nps


@pytest.mark.parametrize("answers,expected", [
    ([10, 9, 10], Decimal("100.0")),                 # all promoters
    ([0, 3, 6], Decimal("-100.0")),                  # all detractors
    ([7, 8, 7, 8], Decimal("0.0")),                  # passives count in the base only
    ([9, 9, 7, 6], Decimal("25.0")),                 # 50 % − 25 %
    ([10, 8, 6], Decimal("0.0")),                    # one of each
    ([9, 9, 9, 9, 9, 9, 9, 0, 0, 8], Decimal("50.0")),   # 70 % − 20 %
    ([10, 9, 0], Decimal("33.3")),                   # 66.7 % − 33.3 %, to one place
    ([9, 7, 7], Decimal("33.3")),
    ([9, 9, 7], Decimal("66.7")),                    # half up
])
def test_nps_is_percent_promoters_minus_percent_detractors(answers, expected):
    assert score_of(answers) == expected


@pytest.mark.parametrize("answer,kind", [(6, "detractor"), (7, "passive"), (8, "passive"), (9, "promoter")])
def test_the_boundaries_are_six_seven_eight_and_nine(answer, kind):
    expected = {"detractor": Decimal("-100.0"), "passive": Decimal("0.0"), "promoter": Decimal("100.0")}[kind]
    assert score_of([answer]) == expected


def test_no_answers_give_no_score_rather_than_zero():
    assert nps_score(promoters=0, detractors=0, responses=0) is None
    assert csat_average(total=0, responses=0) is None


def test_csat_is_the_mean_of_the_one_to_five_answers():
    assert csat_average(total=4 + 5 + 3, responses=3) == Decimal("4.0")
    assert csat_average(total=5 + 4, responses=2) == Decimal("4.5")
    assert csat_average(total=1 + 2 + 2, responses=3) == Decimal("1.7")


def test_the_last_twelve_months_run_oldest_first_and_cross_the_year():
    months = months_back(date(2026, 3, 17))
    assert months[0] == date(2025, 4, 1) and months[-1] == date(2026, 3, 1) and len(months) == 12


def at(day: date, hour: int = 12):
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour))


@pytest.fixture
def today():
    return timezone.localdate()


def test_the_report_counts_each_rm_per_month_with_the_database(compliance, owner, teammate, team_lead, today):
    mine, theirs = ClientFactory(manager=owner), ClientFactory(manager=teammate)
    this_month, last_month = today.replace(day=1), (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    for nps, csat in [(10, 5), (9, 4), (3, 2)]:
        FeedbackFactory(client=mine, nps=nps, csat=csat, submitted_at=at(this_month))
    FeedbackFactory(client=mine, nps=7, csat=None, submitted_at=at(last_month))
    FeedbackFactory(client=theirs, nps=None, csat=3, comments="fine", submitted_at=at(this_month))
    FeedbackFactory(client=theirs, nps=0, csat=1, submitted_at=at(today.replace(day=1) - timedelta(days=400)))  # too old

    report = satisfaction_report(user=compliance, dimension="rm", today=today)

    groups = {g.label: g for g in report["groups"]}
    assert set(groups) == {"Olivia Owner", "Tom Mate"}
    olivia = groups["Olivia Owner"]
    assert olivia.by_month[this_month].nps == Decimal("33.3")     # 2 promoters, 1 detractor of 3
    assert olivia.by_month[this_month].csat == Decimal("3.7")     # (5 + 4 + 2) / 3
    assert olivia.by_month[last_month].nps == Decimal("0.0")
    assert olivia.total.nps == Decimal("25.0") and olivia.total.nps_responses == 4
    assert groups["Tom Mate"].total.nps is None and groups["Tom Mate"].total.csat == Decimal("3.0")
    assert report["overall"].total.responses == 5
    assert report["overall"].by_month[this_month].csat == Decimal("3.5")   # (5 + 4 + 2 + 3) / 4


def test_feedback_stays_with_the_rm_and_tier_it_was_given_to(compliance, owner, teammate, client_record, today):
    FeedbackFactory(client=client_record, nps=10, aum_tier=Client.AumTier.HNW, submitted_at=at(today))
    client_record.primary_manager = teammate
    client_record.aum_tier = Client.AumTier.MASS
    client_record.save()

    by_rm = satisfaction_report(user=compliance, dimension="rm", today=today)["groups"]
    by_tier = satisfaction_report(user=compliance, dimension="tier", today=today)["groups"]
    assert [g.label for g in by_rm] == ["Olivia Owner"]
    assert [(g.key, g.total.nps) for g in by_tier] == [(Client.AumTier.HNW, Decimal("100.0"))]


def test_the_report_groups_by_team_and_by_tier(compliance, owner, teammate, outsider, team_lead, other_lead, today):
    FeedbackFactory(client=ClientFactory(manager=owner, aum_tier=Client.AumTier.HNW), nps=10, submitted_at=at(today))
    FeedbackFactory(client=ClientFactory(manager=teammate, aum_tier=Client.AumTier.MASS), nps=0,
                    submitted_at=at(today))
    FeedbackFactory(client=ClientFactory(manager=outsider, aum_tier=Client.AumTier.MASS), nps=9,
                    submitted_at=at(today))

    teams = {g.label: g.total.nps for g in satisfaction_report(user=compliance, dimension="team", today=today)["groups"]}
    assert teams == {"Private banking 1": Decimal("0.0"), "Private banking 2": Decimal("100.0")}
    tiers = [(g.key, g.total.nps) for g in satisfaction_report(user=compliance, dimension="tier", today=today)["groups"]]
    assert tiers == [(Client.AumTier.HNW, Decimal("100.0")), (Client.AumTier.MASS, Decimal("0.0"))]


@pytest.mark.parametrize("who,expected", [
    ("owner", {"Olivia Owner"}),
    ("teammate", {"Tom Mate"}),
    ("team_lead", {"Olivia Owner", "Tom Mate"}),
    ("outsider", {"Otto Sider"}),
    ("compliance", {"Olivia Owner", "Tom Mate", "Otto Sider"}),
    ("administrator", {"Olivia Owner", "Tom Mate", "Otto Sider"}),
])
def test_each_user_sees_the_satisfaction_of_the_clients_they_may_see(
    request, owner, teammate, outsider, team_lead, other_lead, who, expected, today
):
    for manager in (owner, teammate, outsider):
        FeedbackFactory(client=ClientFactory(manager=manager), submitted_at=at(today))
    report = satisfaction_report(user=request.getfixturevalue(who), dimension="rm", today=today)
    assert {g.label for g in report["groups"]} == expected
    assert report["overall"].total.responses == len(expected)


@pytest.mark.parametrize("answers", [3, 60])
@pytest.mark.parametrize("dimension", ["rm", "team", "tier"])
def test_the_page_runs_the_same_queries_however_many_answers(
    client, team_lead, owner, teammate, answers, dimension, django_assert_num_queries, today
):
    managers = [owner, teammate, ManagerFactory()]
    TeamFactory(members=[managers[2]])
    for n in range(answers):
        FeedbackFactory(client=ClientFactory(manager=managers[n % 3], aum_tier=Client.AumTier.values[n % 3]),
                        nps=n % 11, csat=1 + n % 5, submitted_at=at(today - timedelta(days=n * 5)))
    client.force_login(team_lead)
    # 1 session, 2 user, 3 the user's roles, 4 the navbar's unread notifications, 5 the months of
    # all answers, 6 the months per group (the visible clients are a subquery of both).
    with django_assert_num_queries(6):
        response = client.get(reverse("communications:satisfaction"), {"by": dimension})
    assert response.status_code == 200
    assert response.context["report"]["overall"].total.responses > 0


def test_the_page_feeds_the_chart_through_a_json_script(client, owner, client_record, today):
    FeedbackFactory(client=client_record, nps=9, csat=5, submitted_at=at(today))
    client.force_login(owner)
    response = client.get(reverse("communications:satisfaction"))
    page = response.content.decode()
    assert '<script id="satisfaction-chart-data" type="application/json">' in page
    chart = response.context["chart_data"]
    assert chart["months"][-1] == today.strftime("%Y-%m") and len(chart["months"]) == 12
    assert chart["nps"]["series"][0]["values"][-1] == 100.0
    assert chart["csat"]["series"][1] == {"label": "Olivia Owner", "values": [None] * 11 + [5.0]}
    assert 'id="nps-chart"' in page and 'data-testid="satisfaction-table"' in page


def test_an_unknown_grouping_falls_back_to_rms(client, owner):
    client.force_login(owner)
    response = client.get(reverse("communications:satisfaction"), {"by": "'; drop table"})
    assert response.status_code == 200 and response.context["report"]["dimension"] == "rm"
