"""The opportunity pipeline: recording an opportunity and moving its stage (won and lost are final),
what the forms refuse, who may write and read, and the book's pipeline page (exact totals per
currency, constant query count)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from analytics import services
from analytics.models import Opportunity
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db

D = Decimal


def today():
    return timezone.localdate()


def new(client_record, user, **overrides):
    data = {"product": "Balanced fund", "amount": D("500000"), "currency": "CNY",
            "expected_close_on": today() + timedelta(days=20)} | overrides
    return services.opportunity_record(client=client_record, owner=user, **data)


def form_data(**overrides):
    return {"product": "Balanced fund", "amount": "500000", "currency": "cny", "stage": "identified",
            "expected_close_on": str(today() + timedelta(days=20)), "notes": "Asked about it at the review"} | overrides


def test_the_owner_records_an_opportunity_and_moves_it_to_won(client, owner, client_record):
    client.force_login(owner)

    response = client.post(reverse("analytics:opportunity-create", args=[client_record.pk]), form_data())

    assert response.status_code == 302
    opportunity = Opportunity.objects.get()
    assert (opportunity.client, opportunity.product, opportunity.amount, opportunity.currency, opportunity.stage,
            opportunity.owner) == (client_record, "Balanced fund", D("500000.00"), "CNY", "identified", owner)
    assert opportunity.history.first().history_user == owner

    response = client.post(reverse("analytics:opportunity-stage", args=[opportunity.pk]), {"stage": "won"})

    assert response.status_code == 302
    opportunity.refresh_from_db()
    assert (opportunity.stage, opportunity.stage_changed_by) == ("won", owner)
    assert timezone.now() - opportunity.stage_changed_at < timedelta(minutes=1)
    assert opportunity.history.count() == 2
    page = client.get(reverse("analytics:client-value", args=[client_record.pk])).content.decode()
    assert "Balanced fund" in page and 'data-testid="opportunity-form"' in page


def test_won_and_lost_are_final(owner, client_record):
    opportunity = new(client_record, owner)
    services.opportunity_stage_set(opportunity=opportunity, stage="lost", user=owner)

    with pytest.raises(ValidationError, match="final"):
        services.opportunity_stage_set(opportunity=opportunity, stage="negotiating", user=owner)

    opportunity.refresh_from_db()
    assert opportunity.stage == "lost"


def test_moving_a_final_opportunity_on_the_page_says_why(client, owner, client_record):
    opportunity = new(client_record, owner)
    services.opportunity_stage_set(opportunity=opportunity, stage="won", user=owner)
    client.force_login(owner)

    response = client.post(reverse("analytics:opportunity-stage", args=[opportunity.pk]), {"stage": "proposed"},
                           follow=True)

    assert "won and lost are final" in response.content.decode()
    opportunity.refresh_from_db()
    assert opportunity.stage == "won"


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"amount": "0"}, "amount", "Enter an amount above zero."),
    ({"amount": "-5"}, "amount", "Enter an amount above zero."),
    ({"currency": "XX1"}, "currency", None),
    ({"expected_close_on": "2001-01-01"}, "expected_close_on",
     "An open opportunity cannot be expected to close in the past."),
    ({"expected_close_on": "2099-01-01"}, "expected_close_on", "The expected close is at most 5 years ahead."),
    ({"stage": "won"}, "stage", None),
    ({"product": ""}, "product", None),
])
def test_the_form_refuses_bad_input_with_a_specific_message(client, owner, client_record, overrides, field,
                                                            message):
    client.force_login(owner)

    response = client.post(reverse("analytics:opportunity-create", args=[client_record.pk]), form_data(**overrides))

    assert response.status_code == 400
    form = response.context["opportunity_form"]
    assert field in form.errors
    if message:
        assert message in form.errors[field]
        assert message in response.content.decode()
    assert not Opportunity.objects.exists()


def test_another_rm_gets_404_on_the_forms(client, outsider, owner, client_record):
    opportunity = new(client_record, owner)
    client.force_login(outsider)

    assert client.post(reverse("analytics:opportunity-create", args=[client_record.pk]), form_data()).status_code == 404
    assert client.post(reverse("analytics:opportunity-stage", args=[opportunity.pk]),
                       {"stage": "won"}).status_code == 404
    assert client.get(reverse("analytics:client-value", args=[client_record.pk])).status_code == 404
    opportunity.refresh_from_db()
    assert opportunity.stage == "identified" and Opportunity.objects.count() == 1


def test_compliance_reads_the_opportunities_without_forms(client, compliance, owner, client_record):
    new(client_record, owner, product="Term deposit")
    client.force_login(compliance)

    body = client.get(reverse("analytics:client-value", args=[client_record.pk])).content.decode()

    assert "Term deposit" in body
    assert 'data-testid="opportunity-form"' not in body and 'data-testid="stage-form"' not in body
    opportunity = Opportunity.objects.get()
    assert client.post(reverse("analytics:opportunity-stage", args=[opportunity.pk]),
                       {"stage": "won"}).status_code == 404


def test_the_opportunity_shows_on_the_clients_history(owner, client_record):
    from crm import audit

    opportunity = new(client_record, owner)
    services.opportunity_stage_set(opportunity=opportunity, stage="proposed", user=owner)

    assert Opportunity in {source.model for source in audit.history_sources()}
    rows = list(audit.history_entries(client_id=client_record.pk))
    assert [row["e_type"] for row in rows if row["e_source"] == "analytics.opportunity"] == ["~", "+"]  # newest first


def test_the_pipeline_totals_are_exact_per_currency(client, owner, outsider):
    mine, other = ClientFactory(manager=owner), ClientFactory(manager=outsider)
    close_now, far = today(), today() + timedelta(days=400)
    new(mine, owner, amount=D("100000.50"), expected_close_on=close_now)  # identified, this month and quarter
    new(mine, owner, amount=D("200000"), expected_close_on=far)  # identified, later
    new(mine, owner, amount=D("3000"), currency="USD", expected_close_on=close_now, stage="proposed")
    won = new(mine, owner, amount=D("70000"), expected_close_on=far)
    services.opportunity_stage_set(opportunity=won, stage="won", user=owner)
    lost = new(mine, owner, amount=D("1000"), currency="USD", expected_close_on=far)
    services.opportunity_stage_set(opportunity=lost, stage="lost", user=owner)
    new(other, outsider, amount=D("999999"), expected_close_on=close_now)  # not in the owner's book
    client.force_login(owner)

    context = client.get(reverse("analytics:pipeline")).context

    stages = {stage: (line.count, line.totals) for stage, _label, line in context["stages"]}
    assert stages == {"identified": (2, [("CNY", D("300000.50"))]), "proposed": (1, [("USD", D("3000.00"))]),
                      "negotiating": (0, [])}
    assert context["open_total"] == 3
    for period in ("this_month", "this_quarter"):
        assert (context[period].count, context[period].totals) == (2, [("CNY", D("100000.50")), ("USD", D("3000.00"))])
    assert (context["won"].count, context["won"].totals) == (1, [("CNY", D("70000.00"))])
    assert (context["lost"].count, context["lost"].totals) == (1, [("USD", D("1000.00"))])
    assert len(context["upcoming"]) == 3


def book(owner, size):
    for _ in range(size):
        client_record = ClientFactory(manager=owner)
        new(client_record, owner, expected_close_on=today())
        decided = new(client_record, owner, currency="USD")
        services.opportunity_stage_set(opportunity=decided, stage="won", user=owner)


def test_the_pipeline_page_keeps_its_query_count_as_the_book_grows(client, team_lead, owner,
                                                                   django_assert_num_queries):
    client.force_login(team_lead)
    url = reverse("analytics:pipeline")
    book(owner, 1)
    client.get(url)  # warm: session, roles
    # session, user, roles, unread notifications (navbar), then the page's own 3: open per stage,
    # won and lost, the next to close
    with django_assert_num_queries(7):
        assert client.get(url).status_code == 200
    book(owner, 4)
    with django_assert_num_queries(7):
        assert client.get(url).status_code == 200
