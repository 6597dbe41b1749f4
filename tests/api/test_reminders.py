"""/api/v1/reminders/: my open reminders; mark one done through the service."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from communications.models import Reminder
from tests.api.conftest import error_fields
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db

LIST = reverse("api:reminder-list")


def reminder(client, *, days: int = 0, kind: str = "review") -> Reminder:
    return Reminder.objects.create(client=client, kind=kind, due_on=timezone.localdate() + timedelta(days=days),
                                   manager=client.primary_manager)


def test_it_lists_my_open_reminders_most_urgent_first(api_as, owner, teammate, client_record):
    later, overdue = reminder(client_record, days=3), reminder(client_record, days=-2, kind="follow-up")
    reminder(ClientFactory(manager=teammate))
    Reminder.objects.filter(pk=reminder(client_record, days=1, kind="risk-expiring").pk).update(
        done_at=timezone.now())

    response = api_as(owner).get(LIST)

    assert response.status_code == 200
    rows = response.json()["results"]
    assert [row["id"] for row in rows] == [overdue.pk, later.pk]
    assert rows[0]["client"] == client_record.pk and rows[0]["kind"] == "follow-up" and rows[0]["kind_label"]
    assert [row["id"] for row in api_as(owner).get(LIST, {"overdue": "true"}).json()["results"]] == [overdue.pk]
    assert [row["id"] for row in api_as(owner).get(LIST, {"kind": "review"}).json()["results"]] == [later.pk]
    assert error_fields(api_as(owner).get(LIST, {"kind": "nonsense"})) == {"kind": "invalid_choice"}


def test_the_list_keeps_its_query_count(api_as, owner, django_assert_num_queries):
    api = api_as(owner)
    api.get(LIST)
    for size in (2, 12):
        for n in range(size - Reminder.objects.count()):
            reminder(ClientFactory(manager=owner), days=n)
        # token, roles, count, page (with the client)
        with django_assert_num_queries(4):
            assert len(api.get(LIST).json()["results"]) == size


def test_the_rm_marks_a_reminder_done(api_as, owner, client_record):
    open_one = reminder(client_record)

    response = api_as(owner).post(reverse("api:reminder-done", kwargs={"pk": open_one.pk}))

    assert response.status_code == 200
    open_one.refresh_from_db()
    assert open_one.done_by == owner and open_one.done_at is not None
    assert response.json()["done_by"] == owner.pk
    again = api_as(owner).post(reverse("api:reminder-done", kwargs={"pk": open_one.pk}))
    assert again.status_code == 200 and again.json()["done_at"] == response.json()["done_at"]


@pytest.mark.parametrize("role", ["teammate", "outsider", "compliance"])
def test_another_rms_reminder_does_not_exist(request, api_as, client_record, role):
    open_one = reminder(client_record)

    response = api_as(request.getfixturevalue(role)).post(reverse("api:reminder-done", kwargs={"pk": open_one.pk}))

    assert response.status_code == 404
    open_one.refresh_from_db()
    assert open_one.done_at is None
