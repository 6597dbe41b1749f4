"""The public pages (risk questionnaire, feedback form) against guessing: opening them is limited per
address, so tokens cannot be tried in bulk, and a guessed token says nothing about any client."""

import pytest
from django.urls import reverse

from communications import feedback_views
from risk import views as risk_views

pytestmark = pytest.mark.django_db

ROUTES = [("risk:questionnaire", risk_views.OPENS_PER_ADDRESS),
          ("communications:feedback-form", feedback_views.OPENS_PER_ADDRESS[0])]


@pytest.mark.parametrize("route, limit", ROUTES)
def test_guessing_tokens_from_one_address_is_cut_off(client, route, limit):
    statuses = [client.get(reverse(route, args=[f"guess-{n}"])).status_code for n in range(limit + 2)]
    assert statuses[:limit] == [404] * limit
    assert statuses[limit:] == [429, 429]
    # Another address is counted on its own.
    assert client.get(reverse(route, args=["guess-x"]), REMOTE_ADDR="10.0.0.9").status_code == 404


@pytest.mark.parametrize("route, _limit", ROUTES)
def test_a_guessed_token_page_names_no_client(client, client_record, route, _limit):
    first = client.get(reverse(route, args=["guess-1"]))
    second = client.get(reverse(route, args=[f"{client_record.pk}-guess"]))
    assert first.status_code == second.status_code == 404
    assert client_record.legal_name not in first.content.decode() + second.content.decode()
    # The same refusal whatever the token holds (the pages differ only where they echo their own URL).
    assert first.context["message"] == second.context["message"]
