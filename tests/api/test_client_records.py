"""/api/v1/clients/<id>/valuations/ and /contacts/: read per client, log contacts through the service."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from communications.models import ContactLog, Reminder
from portfolios.models import ValuationSnapshot
from tests.api.conftest import error_fields

pytestmark = pytest.mark.django_db


def valuations(client) -> str:
    return reverse("api:client-valuations", kwargs={"pk": client.pk})


def contacts(client) -> str:
    return reverse("api:client-contacts", kwargs={"pk": client.pk})


def snapshots(client, days: int):
    today = timezone.localdate()
    ValuationSnapshot.objects.bulk_create([
        ValuationSnapshot(client=client, valuation_date=today - timedelta(days=n), aum=1000 + n, currency="CNY",
                          by_asset_class={"fund": str(1000 + n)}) for n in range(days)])


def test_it_lists_the_valuation_history_in_a_date_range(api_as, owner, client_record):
    snapshots(client_record, 5)
    today = timezone.localdate()

    response = api_as(owner).get(valuations(client_record), {
        "date_from": (today - timedelta(days=3)).isoformat(), "date_to": (today - timedelta(days=1)).isoformat()})

    assert response.status_code == 200
    rows = response.json()["results"]
    assert [row["valuation_date"] for row in rows] == [(today - timedelta(days=n)).isoformat() for n in (3, 2, 1)]
    assert rows[0] == {"valuation_date": (today - timedelta(days=3)).isoformat(), "aum": "1003.00",
                       "currency": "CNY", "by_asset_class": {"fund": "1003.00"}}


def test_a_bad_date_is_a_validation_error(api_as, owner, client_record):
    response = api_as(owner).get(valuations(client_record), {"date_from": "2026-13-01"})
    assert response.status_code == 400
    assert error_fields(response) == {"date_from": "invalid"}


@pytest.mark.parametrize("role,status", [("owner", 200), ("outsider", 404), ("team_lead", 200), ("compliance", 200)])
def test_valuations_answer_those_who_see_the_client(request, api_as, client_record, role, status):
    assert api_as(request.getfixturevalue(role)).get(valuations(client_record)).status_code == status
    assert api_as(request.getfixturevalue(role)).get(contacts(client_record)).status_code == status


def test_list_query_counts_do_not_grow(api_as, owner, client_record, django_assert_num_queries):
    api = api_as(owner)
    api.get(valuations(client_record))
    # token, roles, the client (access), count, page
    for days in (2, 20):
        ValuationSnapshot.objects.all().delete()
        snapshots(client_record, days)
        with django_assert_num_queries(5):
            assert len(api.get(valuations(client_record)).json()["results"]) == days
    for count in (2, 20):
        ContactLog.objects.all().delete()
        ContactLog.objects.bulk_create([ContactLog(client=client_record, recorded_by=owner, summary=f"Call {n}")
                                        for n in range(count)])
        with django_assert_num_queries(5):
            assert len(api.get(contacts(client_record)).json()["results"]) == count


def test_the_rm_logs_a_contact_and_a_next_step_due_soon_becomes_a_reminder(api_as, owner, client_record):
    due = timezone.localdate() + timedelta(days=2)

    response = api_as(owner).post(contacts(client_record), {
        "channel": "meeting", "summary": "Talked about the bond ladder", "next_step": "Send the brochure",
        "next_step_due_on": due.isoformat(), "duration_minutes": 30}, format="json")

    assert response.status_code == 201, response.content
    contact = ContactLog.objects.get()
    assert (contact.channel, contact.recorded_by, contact.duration_minutes) == ("meeting", owner, 30)
    assert response.json()["id"] == contact.pk and response.json()["recorded_by"] == owner.pk
    assert Reminder.objects.get().due_on == due
    assert contact.history.get().history_user == owner


def test_a_contact_with_a_due_date_but_no_next_step_is_refused_by_the_service(api_as, owner, client_record):
    response = api_as(owner).post(contacts(client_record), {
        "summary": "Call", "next_step_due_on": timezone.localdate().isoformat()}, format="json")

    assert response.status_code == 400
    assert error_fields(response) == {"next_step": "invalid"}
    assert not ContactLog.objects.exists()


@pytest.mark.parametrize("role", ["teammate", "outsider", "compliance"])
def test_only_those_who_may_edit_the_client_log_contacts(request, api_as, client_record, role):
    response = api_as(request.getfixturevalue(role)).post(contacts(client_record), {"summary": "Call"}, format="json")

    assert response.status_code == 404
    assert not ContactLog.objects.exists()
