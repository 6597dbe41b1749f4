"""The client value page (access, the forms and what they refuse), the panel on the client page, and
the segment and lifecycle pages (scoped to the visible book, constant query counts)."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from analytics import services
from analytics.models import ClientValue, CostRecord, ProspectEstimate, Referral, RevenueRecord
from tests.factories import ClientFactory

from .conftest import registered, terminate

pytestmark = pytest.mark.django_db

THIS_YEAR = timezone.localdate().year


def page(client_record):
    return reverse("analytics:client-value", args=[client_record.pk])


def post(browser, user, name, client_record, data):
    browser.force_login(user)
    return browser.post(reverse(f"analytics:{name}", args=[client_record.pk]), data)


COST = {"year": str(THIS_YEAR - 1), "kind": "servicing", "amount": "1200.50", "currency": "cny", "description": ""}


def test_it_shows_the_working_to_the_owner_with_the_forms(client, owner, client_record, value_settings):
    client.force_login(owner)

    response = client.get(page(client_record))

    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="clv-total"' in body and 'data-testid="cost-form"' in body


def test_compliance_reads_the_working_without_forms(client, compliance, client_record, value_settings):
    client.force_login(compliance)

    response = client.get(page(client_record))

    assert response.status_code == 200
    assert 'data-testid="cost-form"' not in response.content.decode()
    assert post(client, compliance, "cost-create", client_record, COST).status_code == 404
    assert not CostRecord.objects.exists()


def test_another_rm_gets_404_and_records_nothing(client, outsider, client_record):
    client.force_login(outsider)

    assert client.get(page(client_record)).status_code == 404
    assert post(client, outsider, "cost-create", client_record, COST).status_code == 404
    assert not CostRecord.objects.exists()


def test_it_records_a_cost_and_refreshes_the_stored_value(client, owner, client_record, value_settings):
    response = post(client, owner, "cost-create", client_record, COST)

    assert response.status_code == 302
    cost = CostRecord.objects.get()
    assert (cost.year, cost.kind, cost.amount, cost.currency, cost.recorded_by) == (
        THIS_YEAR - 1, "servicing", Decimal("1200.50"), "CNY", owner)
    assert cost.history.get().history_user == owner
    stored = ClientValue.objects.get(client=client_record)
    assert stored.yearly_cost == Decimal("1200.50") and stored.clv < 0


@pytest.mark.parametrize(("name", "data", "field", "message"), [
    ("cost-create", {**COST, "amount": "-5"}, "amount", "Enter an amount above zero."),
    ("cost-create", {**COST, "year": str(THIS_YEAR + 1)}, "year", f"The year {THIS_YEAR + 1} has not begun yet."),
    ("cost-create", {**COST, "kind": "other"}, "description", "Say what an “other” cost was."),
    ("cost-create", {**COST, "currency": "XYZ"}, "currency", "“XYZ” is not an ISO 4217 currency code"),
    ("cost-create", {**COST, "currency": "EUR"}, "currency", "No exchange rate from EUR to CNY"),
    ("revenue-create", {"year": str(THIS_YEAR), "amount": "0", "currency": "CNY"}, "amount",
     "Enter an amount above zero."),
    ("prospect-set", {"purchase_amount": "100000", "currency": "CNY", "wallet_share_pct": "120",
                      "margin_pct": "2", "transactions_per_year": "4"}, "wallet_share_pct",
     "The share of wallet (K) is a percentage above 0 and at most 100."),
    ("prospect-set", {"purchase_amount": "100000", "currency": "CNY", "wallet_share_pct": "20",
                      "margin_pct": "0", "transactions_per_year": "4"}, "margin_pct",
     "The contribution margin (M) is a percentage above 0 and at most 100."),
    ("prospect-set", {"purchase_amount": "100000", "currency": "CNY", "wallet_share_pct": "20",
                      "margin_pct": "2", "transactions_per_year": "-1"}, "transactions_per_year",
     "Enter how many transactions a year, above zero."),
])
def test_forms_refuse_bad_input_with_a_specific_message(client, owner, client_record, value_settings, name, data,
                                                        field, message):
    response = post(client, owner, name, client_record, data)

    assert response.status_code == 400
    form = response.context[{"cost-create": "cost_form", "revenue-create": "revenue_form",
                              "prospect-set": "prospect_form"}[name]]
    assert any(message in error for error in form.errors[field]), form.errors
    assert not (CostRecord.objects.exists() or RevenueRecord.objects.exists() or ProspectEstimate.objects.exists())


def test_a_referral_is_refused_for_the_client_itself_a_future_date_or_twice(client, owner, client_record,
                                                                            value_settings):
    friend = ClientFactory(manager=owner)
    base = {"referred": friend.pk, "referred_on": "2025-05-01", "value": "5000", "currency": "CNY", "note": ""}

    itself = post(client, owner, "referral-create", client_record, {**base, "referred": client_record.pk})
    future = post(client, owner, "referral-create", client_record,
                  {**base, "referred_on": date(THIS_YEAR + 1, 1, 1).isoformat()})
    negative = post(client, owner, "referral-create", client_record, {**base, "value": "-1"})
    saved = post(client, owner, "referral-create", client_record, base)
    again = post(client, owner, "referral-create", ClientFactory(manager=owner), base)

    assert "A client cannot refer themselves." in itself.context["referral_form"].errors["referred"]
    assert "The referral date cannot be in the future." in future.context["referral_form"].errors["referred_on"]
    assert "A referral value cannot be negative." in negative.context["referral_form"].errors["value"]
    assert saved.status_code == 302
    assert "This client's referral is already recorded." in again.context["referral_form"].errors["referred"]
    referral = Referral.objects.get()
    assert (referral.referrer, referral.referred, referral.value) == (client_record, friend, Decimal("5000.00"))


def test_another_rms_client_cannot_be_named_as_referred(client, owner, outsider, client_record, value_settings):
    stranger = ClientFactory(manager=outsider)

    response = post(client, owner, "referral-create", client_record,
                    {"referred": stranger.pk, "referred_on": "2025-05-01", "value": "5000", "currency": "CNY"})

    assert response.status_code == 400 and not Referral.objects.exists()


def test_the_prospect_estimate_is_replaced_not_duplicated(client, owner, client_record, value_settings):
    data = {"purchase_amount": "200000", "currency": "CNY", "wallet_share_pct": "25", "margin_pct": "2",
            "transactions_per_year": "4"}
    post(client, owner, "prospect-set", client_record, data)
    post(client, owner, "prospect-set", client_record, {**data, "transactions_per_year": "6"})

    estimate = ProspectEstimate.objects.get()
    assert estimate.transactions_per_year == Decimal("6.00")
    assert estimate.history.count() == 2


def test_the_client_page_shows_the_stored_value_in_a_panel(client, owner, client_record, value_settings):
    services.client_values_recompute(client_ids=[client_record.pk])
    client.force_login(owner)

    body = client.get(reverse("crm:client-detail", args=[client_record.pk])).content.decode()

    assert 'data-testid="client-value-panel"' in body and page(client_record) in body


def book(owner, size: int):
    """``size`` clients of the owner's in each tier, one of each tier terminated last year, with values."""
    last_year = THIS_YEAR - 1
    for tier in ("hnw", "affluent", "mass"):
        for _index in range(size):
            registered(ClientFactory(manager=owner, aum_tier=tier, lifecycle_stage="growth"), date(last_year - 1, 3, 1))
        terminate(registered(ClientFactory(manager=owner, aum_tier=tier, lifecycle_stage="decline"),
                             date(last_year - 1, 3, 1)), date(last_year, 6, 1))
    services.client_values_recompute()


@pytest.mark.parametrize("name", ["lifecycle", "segment-value"])
def test_the_book_pages_keep_their_query_count_as_the_book_grows(client, team_lead, owner, value_settings,
                                                                 django_assert_num_queries, name):
    client.force_login(team_lead)
    url = reverse(f"analytics:{name}")
    book(owner, 1)
    client.get(url)  # warm: session, roles
    # session, user, roles, unread notifications (navbar), then the page's own: lifecycle 7 (settings,
    # stages, moves, churn 2, RM names, tenure of those who left); segment-value 7 (settings, stored
    # values, teams, members, team churn 2, the highest values; the tiers' churn is cached)
    expected = {"lifecycle": 11, "segment-value": 11}[name]
    with django_assert_num_queries(expected):
        assert client.get(url).status_code == 200
    book(owner, 4)
    with django_assert_num_queries(expected):
        assert client.get(url).status_code == 200


def test_the_lifecycle_page_counts_only_the_visible_book(client, owner, outsider, value_settings):
    book(owner, 2)
    ClientFactory(manager=outsider, lifecycle_stage="growth")
    client.force_login(owner)

    response = client.get(reverse("analytics:lifecycle"))

    assert response.context["total"] == 9
    hnw = response.context["segments"][0]
    assert (hnw.churn.at_start, hnw.churn.lost, hnw.churn.rate) == (3, 1, Decimal("0.3333"))
    assert hnw.lifetime == Decimal("3.00")
    assert response.context["left_clients"] == 3


def test_the_segment_page_works_out_group_clv(client, team_lead, owner, value_settings):
    """Each tier: 3 there at the start of last year, 1 left: r = 0.3333, T = 3.00; i = 8 %:
    PVIFA = (1 - 1.08^-3) / 0.08 = 2.5771. No records: Q - C = 0, group CLV 0.00."""
    book(owner, 2)
    client.force_login(team_lead)

    response = client.get(reverse("analytics:segment-value"))

    hnw = response.context["tiers"][0]
    assert (hnw.churn.rate, hnw.lifetime, hnw.factor, hnw.clients, hnw.total) == (
        Decimal("0.3333"), Decimal("3.00"), Decimal("2.5771"), 2, Decimal("0.00"))
    [team] = response.context["teams"]
    assert (team.churn.at_start, team.churn.lost) == (9, 3)
    assert len(response.context["top"]) == 9  # every visible client with a stored value, terminated ones at 0


def test_a_record_entered_by_mistake_is_removed_by_who_may_edit_the_client(client, owner, outsider, compliance,
                                                                           client_record, value_settings):
    cost = services.cost_record(client=client_record, year=THIS_YEAR - 1, kind="servicing", amount=Decimal("900"),
                                currency="CNY", recorded_by=owner)
    url = reverse("analytics:record-delete", args=["cost", cost.pk])
    for refused in (outsider, compliance):
        client.force_login(refused)
        assert client.post(url).status_code == 404
    client.force_login(owner)
    assert client.post(reverse("analytics:record-delete", args=["gift", cost.pk])).status_code == 404

    response = client.post(url)

    assert response.status_code == 302 and not CostRecord.objects.exists()
    assert cost.history.latest().history_type == "-" and cost.history.latest().history_user == owner
    assert ClientValue.objects.get(client=client_record).yearly_cost == Decimal("0.00")
