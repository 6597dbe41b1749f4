"""Dedicated RM: at most one open primary assignment per client, enforced by the database;
reassigning closes the old assignment and opens the new one in one transaction."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from crm import services
from crm.models import Assignment

pytestmark = pytest.mark.django_db


def open_assignments(client_record):
    return list(Assignment.objects.filter(client=client_record, ended_at__isnull=True)
                .values_list("manager__username", "role").order_by("role"))


def test_the_database_refuses_a_second_open_primary_assignment(client_record, teammate):
    with pytest.raises(IntegrityError), transaction.atomic():
        Assignment.objects.create(client=client_record, manager=teammate, role=Assignment.Role.PRIMARY)
    assert open_assignments(client_record) == [("owner", "primary")]


def test_the_database_accepts_a_new_primary_once_the_old_one_is_closed(client_record, teammate):
    Assignment.objects.filter(client=client_record).update(ended_at=timezone.now())
    Assignment.objects.create(client=client_record, manager=teammate, role=Assignment.Role.PRIMARY)
    assert open_assignments(client_record) == [("teammate", "primary")]


def test_the_database_refuses_an_assignment_that_ends_before_it_starts(client_record, teammate):
    now = timezone.now()
    with pytest.raises(IntegrityError), transaction.atomic():
        Assignment.objects.create(client=client_record, manager=teammate, role=Assignment.Role.BACKUP,
                                  started_at=now, ended_at=now - timezone.timedelta(days=1))


def test_it_transfers_the_primary_rm_and_keeps_the_history(client_record, owner, teammate, team_lead):
    services.assignment_transfer(client=client_record, manager=teammate, assigned_by=team_lead, reason="Rebalance")
    client_record.refresh_from_db()
    assert client_record.primary_manager == teammate
    assert open_assignments(client_record) == [("teammate", "primary")]
    closed = Assignment.objects.get(client=client_record, manager=owner)
    assert closed.ended_at is not None


def test_it_rolls_back_the_whole_transfer_when_opening_the_new_assignment_fails(
    client_record, owner, teammate, team_lead, monkeypatch
):
    def fail(*args, **kwargs):
        raise IntegrityError("simulated failure after the old assignment was closed")

    monkeypatch.setattr(Assignment, "save", fail)
    with pytest.raises(IntegrityError):
        services.assignment_transfer(client=client_record, manager=teammate, assigned_by=team_lead, reason="x")
    client_record.refresh_from_db()
    assert client_record.primary_manager == owner
    assert open_assignments(client_record) == [("owner", "primary")]


def test_it_refuses_a_transfer_without_a_reason(client_record, teammate, team_lead):
    with pytest.raises(ValidationError):
        services.assignment_transfer(client=client_record, manager=teammate, assigned_by=team_lead, reason=" ")
    assert open_assignments(client_record) == [("owner", "primary")]


def test_a_team_lead_reassigns_the_primary_rm_from_the_client_page(client, team_lead, client_record, teammate):
    client.force_login(team_lead)
    response = client.post(reverse("crm:client-reassign", args=[client_record.pk]),
                           {"manager": teammate.pk, "role": "primary", "reason": "Owner overloaded"})
    assert response.status_code == 302
    client_record.refresh_from_db()
    assert client_record.primary_manager == teammate
    latest = Assignment.objects.get(client=client_record, ended_at__isnull=True)
    assert (latest.reason, latest.assigned_by) == ("Owner overloaded", team_lead)


def test_a_team_lead_adds_a_backup_rm(client, team_lead, client_record, teammate):
    client.force_login(team_lead)
    response = client.post(reverse("crm:client-reassign", args=[client_record.pk]),
                           {"manager": teammate.pk, "role": "backup", "reason": "Holiday cover"})
    assert response.status_code == 302
    assert open_assignments(client_record) == [("teammate", "backup"), ("owner", "primary")]
    client.force_login(teammate)  # a backup RM sees the client
    assert client.get(reverse("crm:client-detail", args=[client_record.pk])).status_code == 200


def test_a_backup_who_becomes_primary_stops_being_backup(client_record, teammate, team_lead):
    services.assignment_transfer(client=client_record, manager=teammate, assigned_by=team_lead, reason="cover",
                                 role=Assignment.Role.BACKUP)
    services.assignment_transfer(client=client_record, manager=teammate, assigned_by=team_lead, reason="takeover")
    assert open_assignments(client_record) == [("teammate", "primary")]


def test_it_shows_an_error_when_the_rm_already_is_primary(client, team_lead, client_record, owner):
    client.force_login(team_lead)
    response = client.post(reverse("crm:client-reassign", args=[client_record.pk]),
                           {"manager": owner.pk, "role": "primary", "reason": "again"})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert open_assignments(client_record) == [("owner", "primary")]


def test_a_team_lead_cannot_hand_a_client_to_another_team(client, team_lead, client_record, outsider):
    client.force_login(team_lead)
    response = client.post(reverse("crm:client-reassign", args=[client_record.pk]),
                           {"manager": outsider.pk, "role": "primary", "reason": "x"})
    assert response.status_code == 200
    assert "manager" in response.context["form"].errors
    client_record.refresh_from_db()
    assert client_record.primary_manager.username == "owner"


def test_an_rm_cannot_reassign_even_their_own_client(client, owner, client_record, teammate):
    client.force_login(owner)
    response = client.post(reverse("crm:client-reassign", args=[client_record.pk]),
                           {"manager": teammate.pk, "role": "primary", "reason": "x"})
    assert response.status_code == 404
    client_record.refresh_from_db()
    assert client_record.primary_manager == owner


def test_it_records_who_ended_the_previous_primary_assignment_in_the_audit_trail(client_record, owner, teammate, team_lead):
    services.assignment_transfer(client=client_record, manager=teammate, assigned_by=team_lead, reason="Owner on leave")
    ended = Assignment.objects.get(client=client_record, manager=owner)
    assert ended.ended_at is not None
    assert ended.history.filter(ended_at__isnull=False).exists()
