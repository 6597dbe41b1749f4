"""Reports: book of business, AUM by tier / RM / asset class, review compliance and the satisfaction
export. Figures on the hand-built book; row-level access in pages and downloads; downloads masked,
formula-safe and logged."""

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from communications.models import ContactLog, Feedback, Review, ReviewSchedule
from crm.models import Client, SensitiveView
from portfolios.models import AssetClass, FxRate
from reports import selectors
from tests.factories import ClientFactory
from tests.portfolios.factories import HoldingFactory, InstrumentFactory

from .conftest import TODAY

pytestmark = pytest.mark.django_db


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def _names(rows, column: int = 1) -> set[str]:
    return {row[column] for row in rows[1:]}


REPORTS = ["reports:book", "reports:aum", "reports:review-compliance"]


# --- Book of business -------------------------------------------------------------------

def test_the_book_lists_rm_tier_aum_risk_stage_last_contact_and_next_review(client, book, owner):
    ContactLog.objects.create(client=book.big, summary="Call", recorded_by=owner,
                              occurred_at=timezone.make_aware(timezone.datetime(2026, 5, 2, 10, 0)))
    ReviewSchedule.objects.create(client=book.big, anchor_on=date(2026, 1, 1), interval_months=12,
                                  due_on=date(2027, 1, 1))
    client.force_login(owner)
    rows = _csv(client.get(reverse("reports:book"), {"format": "csv", "sort": "-aum"}))
    assert rows[0][:2] == ["Client number", "Legal name"]
    assert rows[1] == [str(book.big.pk), "Big Client", book.big.phone, "Olivia Owner", "High net worth",
                       "1000000.00", "CNY", "C4 growth", "Potential", "Active", "2026-05-02", "2027-01-01"]
    assert _names(rows) == {"Big Client", "Small Client"}  # not the merged record, nobody else's


@pytest.mark.parametrize(("role", "names"), [
    ("owner", {"Big Client", "Small Client"}),
    ("teammate", {"Teammate Client"}),
    ("outsider", {"Outsider Client"}),
    ("team_lead", {"Big Client", "Small Client", "Teammate Client"}),
    ("other_lead", {"Outsider Client"}),
])
def test_each_role_gets_only_the_clients_it_may_see_in_page_and_export(client, book, request, role, names):
    client.force_login(request.getfixturevalue(role))
    html = client.get(reverse("reports:book")).content.decode()
    everyone = {"Big Client", "Small Client", "Teammate Client", "Outsider Client"}
    assert {name for name in everyone if name in html} == names
    assert _names(_csv(client.get(reverse("reports:book"), {"format": "csv"}))) == names
    workbook = load_workbook(io.BytesIO(client.get(reverse("reports:book"), {"format": "xlsx"}).content))
    assert {row[1] for row in list(workbook.active.iter_rows(values_only=True))[1:]} == names


def test_a_lead_gets_a_team_members_client_phone_masked_and_the_owner_in_full(client, book, owner, team_lead):
    client.force_login(team_lead)
    rows = {row[1]: row for row in _csv(client.get(reverse("reports:book"), {"format": "csv"}))[1:]}
    assert rows["Big Client"][2] != book.big.phone and "****" in rows["Big Client"][2]
    client.force_login(owner)
    rows = {row[1]: row for row in _csv(client.get(reverse("reports:book"), {"format": "csv"}))[1:]}
    assert rows["Big Client"][2] == book.big.phone


def test_the_export_is_formula_safe_and_logged(client, book, owner):
    ClientFactory(legal_name="=HYPERLINK(\"http://evil\")", manager=owner)
    client.force_login(owner)
    rows = _csv(client.get(reverse("reports:book"), {"format": "csv", "q": "HYPERLINK"}))
    assert rows[1][1] == "'=HYPERLINK(\"http://evil\")"
    response = client.get(reverse("reports:book"), {"format": "xlsx", "q": "HYPERLINK"})
    cell = load_workbook(io.BytesIO(response.content)).active.cell(row=2, column=2)
    assert cell.data_type == "s" and cell.value == "=HYPERLINK(\"http://evil\")" and cell.quotePrefix
    logged = list(SensitiveView.objects.filter(user=owner).order_by("pk").values_list("what", "detail"))
    assert logged == [(SensitiveView.What.CLIENT_EXPORT, "report book-of-business, csv: q=HYPERLINK"),
                      (SensitiveView.What.CLIENT_EXPORT, "report book-of-business, xlsx: q=HYPERLINK")]


def test_an_unknown_format_is_a_404_and_the_page_itself_logs_nothing(client, book, owner):
    client.force_login(owner)
    assert client.get(reverse("reports:book"), {"format": "pdf"}).status_code == 404
    assert client.get(reverse("reports:book")).status_code == 200
    assert not SensitiveView.objects.exists()


# --- AUM -------------------------------------------------------------------------------

def test_aum_by_tier_and_by_rm_for_a_lead(book, team_lead):
    clients = Client.objects.filter(pk__in=[book.big.pk, book.small.pk, book.teammates.pk, book.merged.pk])
    by_tier = {r["key"]: (r["client_count"], r["aum"], r["share"]) for r in selectors.aum_report(
        clients=clients, dimension="tier")}
    assert by_tier == {"hnw": (1, Decimal("1000000.00"), Decimal("54.1")),
                       "affluent": (1, Decimal("600000.00"), Decimal("32.4")),
                       "mass": (1, Decimal("250000.50"), Decimal("13.5"))}
    by_rm = [(r["label"], r["client_count"], r["aum"]) for r in selectors.aum_report(clients=clients, dimension="rm")]
    assert by_rm == [("Olivia Owner", 2, Decimal("1250000.50")), ("Tom Mate", 1, Decimal("600000.00"))]


def test_aum_by_asset_class_converts_each_currency_at_the_latest_rate(book, owner):
    equity = InstrumentFactory(asset_class=AssetClass.EQUITY, currency="CNY")
    dollars = InstrumentFactory(asset_class=AssetClass.CASH, currency="USD")
    HoldingFactory(account__client=book.big, instrument=equity, quantity=Decimal("100000.00"))
    HoldingFactory(account__client=book.small, instrument=equity, quantity=Decimal("0.50"))
    HoldingFactory(account__client=book.big, instrument=dollars, quantity=Decimal("1000.00"))
    HoldingFactory(account__client=book.big, instrument=dollars, quantity=Decimal("999.00"), account__is_active=False)
    HoldingFactory(account__client=book.outsiders, instrument=equity, quantity=Decimal("5000.00"))
    yesterday = timezone.localdate() - timedelta(days=1)
    FxRate.objects.create(currency="USD", quote_currency="CNY", rate_date=yesterday - timedelta(days=5),
                          rate=Decimal("7.00"))
    FxRate.objects.create(currency="USD", quote_currency="CNY", rate_date=yesterday, rate=Decimal("7.1"))
    rows = selectors.aum_report(clients=selectors.book_clients(user=owner), dimension="asset_class")
    assert [(r["key"], r["aum"], r["share"]) for r in rows] == [
        ("equity", Decimal("100000.50"), Decimal("93.4")), ("cash", Decimal("7100.00"), Decimal("6.6"))]


def test_the_aum_page_and_export_follow_the_grouping(client, book, owner):
    client.force_login(owner)
    response = client.get(reverse("reports:aum"), {"by": "rm"})
    assert response.status_code == 200 and 'id="aum-chart-data"' in response.content.decode()
    rows = _csv(client.get(reverse("reports:aum"), {"by": "tier", "format": "csv"}))
    assert rows[0] == ["AUM tier", "Clients", "AUM", "Currency", "Share of AUM %"]
    assert rows[1:] == [["High net worth", "1", "1000000.00", "CNY", "80.0"],
                        ["Mass affluent", "0", "0.00", "CNY", "0.0"],
                        ["Mass", "1", "250000.50", "CNY", "20.0"]]


# --- Review compliance ---------------------------------------------------------------------

@pytest.fixture
def reviews(book, owner, teammate):
    def review(client, due, done):
        return Review(client=client, was_due_on=due, completed_on=done, next_due_on=done + timedelta(days=90),
                      completed_by=owner)
    Review.objects.bulk_create([
        review(book.big, date(2026, 3, 15), date(2026, 3, 10)),  # on time
        review(book.big, date(2026, 4, 15), date(2026, 4, 20)),  # late
        review(book.teammates, date(2026, 4, 1), date(2026, 4, 1)),  # on time, on the day
        review(book.outsiders, date(2026, 4, 1), date(2026, 5, 1)),  # another team's
        review(book.small, date(2025, 5, 1), date(2025, 5, 1)),  # before the twelve months
    ])
    ReviewSchedule.objects.bulk_create([
        ReviewSchedule(client=book.small, anchor_on=date(2025, 5, 1), interval_months=12, due_on=date(2026, 5, 1)),
        ReviewSchedule(client=book.big, anchor_on=date(2026, 4, 20), interval_months=3, due_on=date(2026, 7, 20)),
    ])


def test_review_compliance_counts_on_time_late_and_missed_per_rm_and_month(book, team_lead, reviews):
    report = selectors.review_compliance(clients=selectors.book_clients(user=team_lead), group="rm", today=TODAY)
    overall = report["overall"].total
    assert (overall.due, overall.on_time, overall.late, overall.missed) == (4, 2, 1, 1)
    assert overall.on_time_percent == Decimal("50.0")
    groups = {g.label: g for g in report["groups"]}
    assert set(groups) == {"Olivia Owner", "Tom Mate"}
    mine = groups["Olivia Owner"]
    assert (mine.total.due, mine.total.on_time, mine.total.missed) == (3, 1, 1)
    assert mine.total.on_time_percent == Decimal("33.3")
    march, april, may = date(2026, 3, 1), date(2026, 4, 1), date(2026, 5, 1)
    assert (mine.by_month[march].on_time, mine.by_month[april].late, mine.by_month[may].missed) == (1, 1, 1)
    assert len(mine.cells) == 12 and mine.cells[-1].due == 0  # June: nothing fell due yet


def test_review_compliance_per_team(book, compliance, reviews):
    report = selectors.review_compliance(clients=selectors.book_clients(user=compliance), group="team", today=TODAY)
    teams = {g.label: (g.total.due, g.total.on_time) for g in report["groups"]}
    assert teams == {"Private banking 1": (4, 2), "Private banking 2": (1, 0)}
    assert report["overall"].total.due == 5


def test_the_review_compliance_export_has_a_row_per_group_and_month(client, book, owner, reviews):
    client.force_login(owner)
    rows = _csv(client.get(reverse("reports:review-compliance"), {"format": "csv"}))
    assert rows[0] == ["Relationship manager", "Month", "Reviews due", "Done on time", "Done late", "Missed",
                       "On time %"]
    assert {row[0] for row in rows[1:]} == {"All visible clients", "Olivia Owner"}


# --- Satisfaction export -------------------------------------------------------------------

def test_the_satisfaction_export_reads_communications_report_for_the_visible_clients(client, book, owner, outsider):
    now = timezone.now()
    Feedback.objects.bulk_create([
        Feedback(client=book.big, manager=owner, aum_tier="hnw", nps=10, csat=5, submitted_at=now),
        Feedback(client=book.small, manager=owner, aum_tier="mass", nps=2, csat=3, submitted_at=now),
        Feedback(client=book.outsiders, manager=outsider, aum_tier="hnw", nps=0, csat=1, submitted_at=now),
    ])
    client.force_login(owner)
    rows = _csv(client.get(reverse("reports:satisfaction-export"), {"by": "tier", "format": "csv"}))
    month = timezone.localdate().strftime("%Y-%m")
    assert rows[1] == ["All visible clients", month, "2", "2", "1", "0", "1", "0.0", "2", "4.0"]
    assert [row[0] for row in rows[2:]] == ["High net worth", "Mass"]
    assert client.get(reverse("reports:satisfaction-export"), {"by": "nope"}).status_code == 404


# --- Query counts ---------------------------------------------------------------------------

def _grow(owner, count: int) -> None:
    for index in range(count):
        extra = ClientFactory(manager=owner, aum_total=Decimal("1000.00"))
        ContactLog.objects.create(client=extra, summary="Call", recorded_by=owner)
        ReviewSchedule.objects.create(client=extra, anchor_on=date(2025, 1, 1), interval_months=12,
                                      due_on=timezone.localdate() - timedelta(days=index + 1))
        Review.objects.create(client=extra, was_due_on=timezone.localdate() - timedelta(days=40),
                              completed_on=timezone.localdate() - timedelta(days=30),
                              next_due_on=timezone.localdate() + timedelta(days=300), completed_by=owner)
        HoldingFactory(account__client=extra, quantity=Decimal(10))


@pytest.mark.parametrize("name", REPORTS)
@pytest.mark.parametrize("query", [{}, {"format": "csv"}])
def test_pages_and_exports_keep_their_query_count_as_the_book_grows(client, book, owner, name, query):
    _grow(owner, 1)
    client.force_login(owner)
    client.get(reverse(name), query)
    with CaptureQueriesContext(connection) as small:
        assert client.get(reverse(name), query).status_code == 200
    _grow(owner, 7)
    with CaptureQueriesContext(connection) as large:
        assert client.get(reverse(name), query).status_code == 200
    assert len(large) == len(small)


def test_a_review_recorded_without_its_due_date_is_due_when_the_previous_review_said(book, owner):
    Review.objects.bulk_create([
        Review(client=book.big, completed_on=date(2025, 12, 1), next_due_on=date(2026, 3, 1), completed_by=owner),
        Review(client=book.big, completed_on=date(2026, 3, 5), next_due_on=date(2026, 6, 5), completed_by=owner),
    ])
    report = selectors.review_compliance(clients=selectors.book_clients(user=owner), today=TODAY)
    # The first has no due date to judge it by; the second was due 2026-03-01 and done four days late.
    assert (report["overall"].total.due, report["overall"].total.late) == (1, 1)
    assert report["overall"].by_month[date(2026, 3, 1)].late == 1
