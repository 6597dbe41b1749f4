"""Who may open the client review report, that each look is logged, and that its queries do not
grow with the client's holdings, valuations and suitability exceptions."""

import pytest
from django.urls import reverse

from crm.models import SensitiveView
from crm.roles import user_roles
from reports.review_report import client_review_report
from tests.factories import ClientFactory

from .review_world import review_world_build

pytestmark = pytest.mark.django_db

ROUTES = ["reports:client-review", "reports:client-review-pdf"]


@pytest.mark.parametrize("route", ROUTES)
def test_it_is_404_for_an_rm_who_does_not_serve_the_client(client, client_record, teammate, outsider, route):
    for stranger in (teammate, outsider):
        client.force_login(stranger)
        assert client.get(reverse(route, args=[client_record.pk])).status_code == 404
    assert not SensitiveView.objects.exists()


@pytest.mark.parametrize("route", ROUTES)
def test_it_sends_an_anonymous_visitor_to_log_in(client, client_record, route):
    response = client.get(reverse(route, args=[client_record.pk]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("route", ROUTES)
def test_compliance_and_the_team_lead_read_it(client, client_record, compliance, team_lead, route):
    for reader in (compliance, team_lead):
        client.force_login(reader)
        assert client.get(reverse(route, args=[client_record.pk])).status_code == 200


def test_it_refuses_a_post(client, owner, client_record):
    client.force_login(owner)
    assert client.post(reverse("reports:client-review", args=[client_record.pk])).status_code == 405


def test_it_logs_each_look_at_the_page_and_the_pdf(client, owner, client_record):
    client.force_login(owner)
    client.get(reverse("reports:client-review", args=[client_record.pk]))
    client.get(reverse("reports:client-review-pdf", args=[client_record.pk]))

    views = list(SensitiveView.objects.order_by("id").values_list("user", "client", "what", "detail"))
    assert views == [
        (owner.pk, client_record.pk, SensitiveView.What.CLIENT_EXPORT, "review report: page"),
        (owner.pk, client_record.pk, SensitiveView.What.CLIENT_EXPORT, "review report: pdf"),
    ]


def _bigger(size: int) -> dict:
    return {"holdings": 4 * size, "months": 12 * size, "flagged": 2 * size}


@pytest.mark.parametrize("size", [1, 5])
def test_the_selector_queries_do_not_grow_with_the_data(owner, size, django_assert_num_queries):
    reviewed = ClientFactory(manager=owner)
    review_world_build(reviewed, recorded_by=owner, **_bigger(size))
    user_roles(owner)  # cached on the user by the time a page's view runs

    # 1 the client through client_list_visible, portfolio_page: 2 holdings with accounts, institutions
    # and instruments, 3 the model allocation and 4 its weights, 5 the open alerts, 6 the concentration
    # limits, 7 the AUM history, 8 goals and 9 their linked accounts, 10 the latest proposals, 11 the
    # drawdown limit, 12 the suitability exceptions; client_performance: 13 the valuations, 14 the flows;
    # 15 the latest assessment and 16 its flagged rules, 17 the review schedule with its tier's cadence
    # (one query, also before the client's first scheduling), 18 the primary RM.
    with django_assert_num_queries(18):
        report = client_review_report(user=owner, pk=reviewed.pk)
        str(report["manager"])

    assert len(report["summary"].holdings) == 4 * size
    assert len(report["suitability_flags"]) == 2 * size


@pytest.mark.parametrize("size", [1, 5])
@pytest.mark.parametrize("route", ROUTES)
def test_the_page_and_pdf_queries_do_not_grow_with_the_data(client, owner, size, route, django_assert_num_queries):
    reviewed = ClientFactory(manager=owner)
    review_world_build(reviewed, recorded_by=owner, **_bigger(size))
    client.force_login(owner)
    url = reverse(route, args=[reviewed.pk])

    # 1 session, 2 user, 3 the user's roles, the selector's 18 (above), the log of the view (one INSERT);
    # the page also counts the navbar's unread notifications.
    with django_assert_num_queries(23 if route == "reports:client-review" else 22):
        response = client.get(url)

    assert response.status_code == 200
