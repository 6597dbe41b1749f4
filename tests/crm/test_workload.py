"""The team lead's workload page: clients and AUM per RM, and the unassigned clients."""

from decimal import Decimal

import pytest
from django.urls import reverse

from crm.models import Client
from tests.factories import ClientFactory, ManagerFactory

pytestmark = pytest.mark.django_db


def rows(response) -> dict:
    return {m.username: (m.client_count, m.aum_sum or Decimal("0")) for m in response.context["managers"]}


def test_it_shows_clients_and_aum_per_rm_of_the_leads_teams(client, team_lead, owner, teammate, outsider):
    ClientFactory(manager=owner, aum_total=Decimal("100"))
    ClientFactory(manager=owner, aum_total=Decimal("250.50"))
    ClientFactory(manager=owner, aum_total=Decimal("1000"), status=Client.Status.MERGED)  # not counted
    ClientFactory(manager=outsider, aum_total=Decimal("999"))
    ClientFactory(legal_name="Orphan", aum_total=Decimal("5"))
    client.force_login(team_lead)
    response = client.get(reverse("crm:workload"))
    assert response.status_code == 200
    assert rows(response) == {"owner": (2, Decimal("350.50")), "teammate": (0, Decimal("0")),
                              "lead": (0, Decimal("0"))}
    assert response.context["total_aum"] == Decimal("350.50")
    assert response.context["unassigned_count"] == 1
    assert [c.legal_name for c in response.context["unassigned"]] == ["Orphan"]


def test_it_counts_an_rm_in_two_teams_and_two_roles_once(client, team_lead, owner):
    from django.contrib.auth.models import Group

    from tests.factories import TeamFactory

    TeamFactory(name="Second team", lead=team_lead, members=[owner])
    owner.groups.add(Group.objects.get(name="Team Lead"))
    ClientFactory(manager=owner, aum_total=Decimal("100"))
    client.force_login(team_lead)
    assert rows(client.get(reverse("crm:workload")))["owner"] == (1, Decimal("100"))


def test_an_administrator_sees_every_rm(client, administrator, team_lead, other_lead, owner, outsider):
    ClientFactory(manager=outsider)
    client.force_login(administrator)
    response = client.get(reverse("crm:workload"))
    assert rows(response)["outsider"] == (1, Decimal("0"))


@pytest.mark.parametrize("who", ["owner", "compliance"])
def test_it_is_not_there_for_rms_or_compliance(client, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("crm:workload")).status_code == 404


@pytest.mark.parametrize("rms", [3, 30])
def test_it_aggregates_in_a_constant_number_of_queries(client, team_lead, django_assert_num_queries, rms):
    team = team_lead.led_teams.get()
    for _index in range(rms):
        rm = ManagerFactory()
        team.members.add(rm)
        ClientFactory(manager=rm, aum_total=Decimal("10"))
        ClientFactory()  # unassigned
    client.force_login(team_lead)
    # 1 session, 2 user, 3 user's groups (roles), 4 every RM with client count and AUM sum (one
    # aggregate), 5 the unassigned clients shown, 6 how many are unassigned, 7 the open registration
    # conflicts the lead sorts out, 8 the navbar's unread notification count.
    with django_assert_num_queries(8):
        response = client.get(reverse("crm:workload"))
    assert len(response.context["managers"]) == rms + 3
    assert response.context["unassigned_count"] == rms
