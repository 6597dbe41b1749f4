"""Bulk handover of a leaving RM's book: preview first, then one transaction, with a reason."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.urls import reverse

from crm import selectors, services
from crm.models import Assignment, Client
from tests.factories import ClientFactory, ManagerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def third_rm(team_lead):
    rm = ManagerFactory(username="third", first_name="Tina", last_name="Third")
    team_lead.led_teams.get().members.add(rm)
    return rm


@pytest.fixture
def leaving_book(owner):
    """Four clients of the owner, AUM 4M, 3M, 2M, 1M (the plan deals biggest first)."""
    return [ClientFactory(legal_name=f"Client {n}", aum_total=Decimal(n * 1_000_000), manager=owner)
            for n in (4, 3, 2, 1)]


def primaries(clients) -> list[str]:
    return [Client.objects.get(pk=c.pk).primary_manager.username for c in clients]


def form_data(owner, targets, **extra) -> dict:
    return {"leaving_manager": owner.pk, "scope": "all", "targets": [t.pk for t in targets],
            "reason": "Owner leaves the bank", **extra}


def test_it_plans_round_robin_biggest_client_first(team_lead, owner, teammate, third_rm, leaving_book):
    plan = selectors.handover_plan(user=team_lead, leaving_manager=owner, targets=[teammate, third_rm])
    assert [(c.legal_name, t.username) for c, t in plan] == [
        ("Client 4", "teammate"), ("Client 3", "third"), ("Client 2", "teammate"), ("Client 1", "third")]


def test_it_lets_an_explicit_mapping_override_the_round_robin(team_lead, owner, teammate, third_rm, leaving_book):
    plan = selectors.handover_plan(user=team_lead, leaving_manager=owner, targets=[teammate, third_rm],
                                   mapping={leaving_book[0].pk: third_rm.pk})
    assert [t.username for _c, t in plan] == ["third", "third", "teammate", "third"]


def test_the_preview_changes_nothing(client, team_lead, owner, teammate, third_rm, leaving_book):
    client.force_login(team_lead)
    response = client.post(reverse("crm:handover"), form_data(owner, [teammate, third_rm]))
    assert response.status_code == 200
    # The form lists targets by name (Tina Third, Tom Mate): round-robin follows that order.
    assert [t.username for _c, t in response.context["plan"]] == ["third", "teammate", "third", "teammate"]
    assert 'data-testid="handover-preview"' in response.content.decode()
    assert primaries(leaving_book) == ["owner"] * 4


def test_confirming_moves_the_whole_book_with_the_reason(client, team_lead, owner, teammate, third_rm,
                                                         leaving_book):
    client.force_login(team_lead)
    response = client.post(reverse("crm:handover-confirm"), form_data(owner, [teammate, third_rm]))
    assert response.status_code == 302
    assert primaries(leaving_book) == ["third", "teammate", "third", "teammate"]
    new = Assignment.objects.filter(ended_at__isnull=True, role="primary")
    assert set(new.values_list("reason", flat=True)) == {"Owner leaves the bank"}
    assert set(new.values_list("assigned_by", flat=True)) == {team_lead.pk}
    assert Assignment.objects.filter(manager=owner, ended_at__isnull=False).count() == 4


def test_confirming_applies_the_choices_made_on_the_preview(client, team_lead, owner, teammate, third_rm,
                                                            leaving_book):
    client.force_login(team_lead)
    data = form_data(owner, [teammate, third_rm], **{f"target-{c.pk}": third_rm.pk for c in leaving_book})
    assert client.post(reverse("crm:handover-confirm"), data).status_code == 302
    assert primaries(leaving_book) == ["third"] * 4


def test_it_moves_only_the_selected_clients(client, team_lead, owner, teammate, leaving_book):
    client.force_login(team_lead)
    chosen = [leaving_book[1].pk, leaving_book[3].pk]  # picked in the client picker
    response = client.post(reverse("crm:handover-confirm"),
                           form_data(owner, [teammate], scope="selected", clients=chosen))
    assert response.status_code == 302
    assert primaries(leaving_book) == ["owner", "teammate", "owner", "teammate"]


def test_it_keeps_the_history_visible_on_the_client_page(client, team_lead, owner, teammate, leaving_book):
    services.assignment_handover_bulk(user=team_lead, leaving_manager=owner, targets=[teammate],
                                      reason="Owner leaves the bank")
    client.force_login(teammate)
    response = client.get(reverse("crm:client-detail", args=[leaving_book[0].pk]))
    assert [a.manager.username for a in response.context["assignments"]] == ["teammate", "owner"]
    assert "Owner leaves the bank" in response.content.decode()


def test_it_moves_nothing_if_one_transfer_fails(team_lead, owner, teammate, leaving_book, monkeypatch):
    real_transfer = services.assignment_transfer
    calls = []

    def transfer_failing_on_the_third(**kwargs):
        calls.append(kwargs["client"].pk)
        if len(calls) == 3:
            raise IntegrityError("simulated")
        return real_transfer(**kwargs)

    monkeypatch.setattr(services, "assignment_transfer", transfer_failing_on_the_third)
    with pytest.raises(IntegrityError):
        services.assignment_handover_bulk(user=team_lead, leaving_manager=owner, targets=[teammate], reason="x")
    assert primaries(leaving_book) == ["owner"] * 4
    assert Assignment.objects.filter(ended_at__isnull=True).count() == 4


@pytest.mark.parametrize("bad", ["no_reason", "to_self", "outside_team", "no_targets", "mapped_elsewhere"])
def test_it_refuses_a_bad_handover(team_lead, owner, teammate, third_rm, outsider, leaving_book, bad):
    kwargs = {"user": team_lead, "leaving_manager": owner, "targets": [teammate], "reason": "leaves"}
    kwargs.update({"no_reason": {"reason": ""}, "to_self": {"targets": [owner]},
                   "outside_team": {"targets": [outsider]}, "no_targets": {"targets": []},
                   "mapped_elsewhere": {"mapping": {leaving_book[0].pk: third_rm.pk}}}[bad])
    with pytest.raises(ValidationError):
        services.assignment_handover_bulk(**kwargs)
    assert primaries(leaving_book) == ["owner"] * 4


def test_it_shows_form_errors_without_a_preview(client, team_lead, owner, leaving_book):
    client.force_login(team_lead)
    response = client.post(reverse("crm:handover"), form_data(owner, [owner], reason=""))
    assert response.status_code == 200
    assert {"targets", "reason"} <= set(response.context["form"].errors)
    assert "plan" not in response.context


def test_a_lead_cannot_take_over_another_teams_book(client, team_lead, other_lead, outsider, teammate):
    theirs = ClientFactory(manager=outsider)
    client.force_login(team_lead)
    response = client.post(reverse("crm:handover-confirm"), form_data(outsider, [teammate]))
    assert response.status_code == 200
    assert "leaving_manager" in response.context["form"].errors
    theirs.refresh_from_db()
    assert theirs.primary_manager == outsider


@pytest.mark.parametrize("who", ["owner", "compliance"])
def test_only_leads_and_administrators_reach_the_handover_pages(client, request, who, owner, teammate,
                                                                leaving_book):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("crm:handover")).status_code == 404
    assert client.post(reverse("crm:handover-confirm"), form_data(owner, [teammate])).status_code == 404
    assert primaries(leaving_book) == ["owner"] * 4


def test_an_administrator_hands_over_across_teams(client, administrator, owner, outsider, leaving_book):
    client.force_login(administrator)
    response = client.post(reverse("crm:handover-confirm"), form_data(owner, [outsider]))
    assert response.status_code == 302
    assert primaries(leaving_book) == ["outsider"] * 4
