"""The alerts page and the dashboard panel: filters, totals, one group per client, severity; the
admin's concentration rules per segment, honoured by the revaluation; alert texts in the reader's
language."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from portfolios import services
from portfolios.models import Alert, AlertSeverity, AssetClass, ConcentrationLimit
from portfolios.selectors import concentration_limits
from tests.factories import ClientFactory
from tests.panels import panel_html

from .factories import (
    TODAY,
    AccountFactory,
    AlertFactory,
    HoldingFactory,
    InstrumentFactory,
    ModelAllocationFactory,
    concentration_limits_set,
)

pytestmark = pytest.mark.django_db
Kind = Alert.Kind
URL = "/portfolios/alerts/"


def at(hour: int) -> datetime.datetime:
    return datetime.datetime(2026, 11, 20, hour, tzinfo=datetime.UTC)


@pytest.fixture
def book(owner, teammate, client_record):
    """The owner's client with a region and a stop-loss alert, a second client of theirs with two
    region alerts, and a teammate's client with a drawdown alert."""
    second = ClientFactory(legal_name="Li Na", manager=owner)
    theirs = ClientFactory(legal_name="Wang Fang", manager=teammate)
    AlertFactory(client=client_record, kind=Kind.REGION, subject="China", raised_at=at(8))
    AlertFactory(client=client_record, kind=Kind.STOP_LOSS, subject="AAPL", raised_at=at(7))
    AlertFactory(client=second, kind=Kind.REGION, subject="China", raised_at=at(9))
    AlertFactory(client=second, kind=Kind.INDUSTRY, subject="Banking", raised_at=at(10))
    AlertFactory(client=theirs, kind=Kind.DRAWDOWN, subject="", raised_at=at(11))
    AlertFactory(client=second, kind=Kind.ISSUER, subject="Gone", resolved_at=at(12))  # resolved: never shown
    return {"mine": client_record, "second": second, "theirs": theirs}


def group_names(response) -> list[str]:
    return [group.client.legal_name for group in response.context["groups"]]


def test_it_groups_the_users_alerts_per_client_most_severe_client_first(client, owner, book):
    client.force_login(owner)

    response = client.get(URL)

    assert response.status_code == 200
    # Zhang Wei has a stop-loss (high); Li Na has more alerts, but only low ones.
    assert group_names(response) == ["Zhang Wei", "Li Na"]
    first = response.context["groups"][0]
    assert [alert.kind for alert in first.alerts] == [Kind.STOP_LOSS, Kind.REGION]
    assert first.severity == AlertSeverity.HIGH and first.count == 2
    html = response.content.decode()
    assert "Wang Fang" not in html  # the teammate's client is not the owner's to see
    assert 'class="badge text-bg-danger text-nowrap">High' in html


def test_it_counts_the_alerts_by_severity_and_kind(client, owner, book):
    client.force_login(owner)

    totals = client.get(URL).context["totals"]

    assert totals.total == 4
    assert [(severity, count) for severity, _label, _css, count in totals.by_severity] == [(3, 1), (2, 0), (1, 3)]
    assert [(kind, count) for kind, _label, count in totals.by_kind] == [
        (Kind.STOP_LOSS, 1), (Kind.REGION, 2), (Kind.INDUSTRY, 1)]


@pytest.mark.parametrize(("query", "expected_kinds"), [
    ({"kind": "region"}, ["region", "region"]),
    ({"severity": "3"}, ["stop_loss"]),
    ({"severity": "1"}, ["region", "industry", "region"]),
])
def test_it_filters_by_kind_and_severity(client, owner, book, query, expected_kinds):
    client.force_login(owner)

    response = client.get(URL, query)

    assert response.status_code == 200
    assert sorted(a.kind for group in response.context["groups"] for a in group.alerts) == sorted(expected_kinds)
    assert response.context["totals"].total == len(expected_kinds)


def test_it_filters_by_client_and_rm_for_a_team_lead(client, team_lead, owner, teammate, book):
    client.force_login(team_lead)

    everyone = client.get(URL)
    by_client = client.get(URL, {"client": book["second"].pk})
    by_rm = client.get(URL, {"rm": teammate.pk})

    # Two high-severity clients, the one with more alerts first; then the low one.
    assert group_names(everyone) == ["Zhang Wei", "Wang Fang", "Li Na"]
    assert group_names(by_client) == ["Li Na"]
    assert group_names(by_rm) == ["Wang Fang"]


def test_it_ignores_a_client_filter_on_a_client_the_user_may_not_see(client, outsider, book):
    client.force_login(outsider)

    response = client.get(URL, {"client": book["mine"].pk})

    assert response.status_code == 200
    assert response.context["groups"] == [] and response.context["totals"].total == 0


def test_it_hides_acknowledged_alerts_when_asked(client, owner, book):
    stop_loss = Alert.objects.get(kind=Kind.STOP_LOSS)
    services.alert_acknowledge(alert=stop_loss, user=owner)
    client.force_login(owner)

    response = client.get(URL, {"unacknowledged": "on"})

    assert response.context["totals"].total == 3
    assert Kind.STOP_LOSS not in [a.kind for group in response.context["groups"] for a in group.alerts]


@pytest.mark.parametrize("clients", [2, 30])
def test_the_alerts_page_queries_do_not_grow_with_alerts_or_clients(client, owner, clients,
                                                                     django_assert_num_queries):
    for n in range(clients):
        customer = ClientFactory(manager=owner)
        for kind in (Kind.REGION, Kind.STOP_LOSS, Kind.ISSUER):
            AlertFactory(client=customer, kind=kind, subject=f"S{n}")
    client.force_login(owner)

    # 1 session, 2 user, 3 the user's roles (groups), 4 the RM filter's staff list,
    # 5 totals by kind, 6 the paginator's count of clients, 7 the page of clients (grouped),
    # 8 the page's alerts with clients and RMs, 9 which of the page's clients the user may edit,
    # 10 the navbar's unread notification count.
    with django_assert_num_queries(10):
        response = client.get(URL)

    assert response.status_code == 200
    assert len(response.context["groups"]) == min(clients, 20)
    assert response.context["totals"].total == 3 * clients


def test_the_dashboard_panel_counts_by_severity_and_shows_the_most_severe_clients(owner, book):
    html = panel_html("dashboard", "portfolio-alerts", user=owner)

    assert "High: 1" in html and "Low: 3" in html
    assert html.index("Zhang Wei") < html.index("Li Na")
    assert reverse("portfolios:alert-list") in html


# --- Concentration rules per segment -------------------------------------------------------------


@pytest.fixture
def china_heavy(client_record):
    """All in one Chinese equity: a region breach under the default 60 % rule."""
    client_record.risk_level, client_record.aum_tier = "C3", "mass"
    client_record.save(update_fields=["risk_level", "aum_tier"])
    HoldingFactory(account=AccountFactory(client=client_record),
                   instrument=InstrumentFactory(code="600036", region="China"), market_value=Decimal("100000"))
    concentration_limits_set(region=60)
    return client_record


def region_alerts(client_record):
    return list(Alert.objects.filter(client=client_record, kind=Kind.REGION).values_list("subject", "resolved_at"))


def test_a_switched_off_segment_rule_raises_nothing_and_resolves_open_alerts(china_heavy):
    services.valuation_refresh(client_id=china_heavy.pk, valuation_date=TODAY)
    assert region_alerts(china_heavy) == [("China", None)]

    services.concentration_limit_save(limit=ConcentrationLimit(
        kind="region", risk_level="C3", threshold=Decimal("60"), is_active=False))
    services.valuation_refresh(client_id=china_heavy.pk, valuation_date=TODAY)

    [(subject, resolved_at)] = region_alerts(china_heavy)
    assert resolved_at is not None
    services.valuation_refresh(client_id=china_heavy.pk, valuation_date=TODAY)
    assert Alert.objects.filter(client=china_heavy, resolved_at__isnull=True).count() == 0


def test_the_most_specific_rule_wins(china_heavy):
    ConcentrationLimit.objects.create(kind="region", aum_tier="mass", threshold=Decimal("100"))
    ConcentrationLimit.objects.create(kind="region", risk_level="C3", aum_tier="mass", threshold=Decimal("90"))
    ConcentrationLimit.objects.create(kind="region", risk_level="C4", threshold=Decimal("10"))  # not this client's

    assert concentration_limits(client=china_heavy)["region"] == Decimal("90")
    services.valuation_refresh(client_id=china_heavy.pk, valuation_date=TODAY)
    assert region_alerts(china_heavy) == [("China", None)]  # 100 % > 90 %


def test_a_segment_rule_leaves_other_segments_alone(china_heavy):
    ConcentrationLimit.objects.create(kind="region", aum_tier="hnw", threshold=Decimal("0"), is_active=False)

    services.valuation_refresh(client_id=china_heavy.pk, valuation_date=TODAY)

    assert region_alerts(china_heavy) == [("China", None)]


def test_the_database_refuses_two_rules_for_one_scope(db):
    from django.db import IntegrityError, transaction

    ConcentrationLimit.objects.create(kind="issuer", risk_level="C2", threshold=Decimal("10"))
    with pytest.raises(IntegrityError), transaction.atomic():
        ConcentrationLimit.objects.create(kind="issuer", risk_level="C2", threshold=Decimal("20"))


def test_saving_a_rule_queues_the_covered_clients_revaluation(china_heavy, django_capture_on_commit_callbacks):
    other = ClientFactory(risk_level="C5")
    HoldingFactory(account=AccountFactory(client=other))

    with django_capture_on_commit_callbacks() as callbacks:
        queued = services.concentration_limit_save(limit=ConcentrationLimit(
            kind="region", risk_level="C3", threshold=Decimal("80")))

    assert queued == 1 and len(callbacks) == 1


def test_an_administrator_switches_a_rule_off_in_admin(client, administrator, china_heavy,
                                                       django_capture_on_commit_callbacks, celery_eager):
    services.valuation_refresh(client_id=china_heavy.pk, valuation_date=TODAY)
    rule = ConcentrationLimit.objects.get(kind="region", risk_level="", aum_tier="")
    client.force_login(administrator)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:portfolios_concentrationlimit_change", args=[rule.pk]), {
            "kind": "region", "risk_level": "", "aum_tier": "", "threshold": "60"})  # "enabled" unticked

    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.is_active is False
    [(_subject, resolved_at)] = region_alerts(china_heavy)
    assert resolved_at is not None  # the queued revaluation ran and resolved it


# --- Labels in the reader's language ----------------------------------------------------------


ENGLISH_CLASS_LABELS = [str(label) for label in AssetClass.labels]


def test_an_asset_class_alert_in_chinese_names_no_english_asset_class(client, owner, client_record):
    ModelAllocationFactory(risk_level="C3", weights={"equity": (10, 5), "cash": (90, 5)})
    client_record.risk_level = "C3"
    client_record.save(update_fields=["risk_level"])
    account = AccountFactory(client=client_record)
    HoldingFactory(account=account, instrument=InstrumentFactory(asset_class=AssetClass.EQUITY, region="China",
                                                                 industry="Banking"),
                   market_value=Decimal("60000"))
    HoldingFactory(account=account, instrument=InstrumentFactory(asset_class=AssetClass.CASH, region="China",
                                                                 industry="Banking"),
                   market_value=Decimal("40000"))
    concentration_limits_set(asset_class_band=0, region=60, industry=30)
    services.valuation_refresh(client_id=client_record.pk, valuation_date=TODAY)
    band = Alert.objects.filter(kind=Kind.ASSET_CLASS_BAND, subject="equity").first()
    assert band is not None and "Equity" in band.message  # stored in English for search and exports

    with translation.override("zh-hans"):
        texts = [alert.text for alert in Alert.objects.filter(client=client_record)]
    assert texts and not [text for text in texts for label in ENGLISH_CLASS_LABELS if label in text]
    assert not [text for text in texts if "China" in text or "Banking" in text]
    assert any("股票" in text for text in texts)

    client.force_login(owner)
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    html = client.get(URL).content.decode()
    assert "股票" in html and "Equity 占" not in html


def test_an_administrator_adds_a_rule_for_a_segment_in_admin(client, administrator, china_heavy,
                                                             django_capture_on_commit_callbacks, celery_eager):
    services.valuation_refresh(client_id=china_heavy.pk, valuation_date=TODAY)
    client.force_login(administrator)
    assert client.get(reverse("admin:portfolios_concentrationlimit_changelist")).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:portfolios_concentrationlimit_add"), {
            "kind": "region", "risk_level": "C3", "aum_tier": "", "threshold": "100", "is_active": "on"})

    assert response.status_code == 302
    assert ConcentrationLimit.objects.filter(kind="region", risk_level="C3", threshold=100).exists()
    [(_subject, resolved_at)] = region_alerts(china_heavy)
    assert resolved_at is not None  # 100 % is not above the C3 clients' own 100 % limit
