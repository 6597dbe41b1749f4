"""Role × URL for the client registry pages, following tests/test_access_matrix.py.

Whoever may not use a page about a client gets 404 (never 403, never the data) — compliance
too, on every page that changes something: it reads everything and edits nothing.
"""

import pytest
from django.urls import reverse

from crm import services
from crm.models import HouseholdMember
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db

ROLES = ["owner", "team_lead", "compliance", "administrator", "teammate", "outsider", "other_lead"]
SEES = {"owner", "team_lead", "compliance", "administrator"}
EDITS = {"owner", "team_lead", "administrator"}
REASSIGNS = {"team_lead", "administrator"}


@pytest.fixture
def household(client_record):
    return services.household_create(name="Zhang family", first_member=client_record)


# (url name, kwargs builder from (client, household), who gets 200 on GET)
CLIENT_URLS = [
    ("crm:client-detail", lambda c, h: {"pk": c.pk}, SEES),
    ("crm:client-edit", lambda c, h: {"pk": c.pk}, EDITS),
    ("crm:client-lifecycle", lambda c, h: {"pk": c.pk}, EDITS),
    ("crm:client-reassign", lambda c, h: {"pk": c.pk}, REASSIGNS),
    ("crm:household-create", lambda c, h: {"pk": c.pk}, EDITS),
    ("crm:household-detail", lambda c, h: {"pk": h.pk}, SEES),
    ("crm:household-edit", lambda c, h: {"pk": h.pk}, EDITS),
    ("crm:household-member-add", lambda c, h: {"pk": h.pk}, EDITS),
]


@pytest.mark.parametrize("url_name,kwargs,allowed", CLIENT_URLS, ids=[u[0] for u in CLIENT_URLS])
@pytest.mark.parametrize("who", ROLES)
def test_it_opens_client_pages_only_for_those_allowed(request, client, client_record, household, url_name,
                                                      kwargs, allowed, who):
    client.force_login(request.getfixturevalue(who))
    response = client.get(reverse(url_name, kwargs=kwargs(client_record, household)))
    assert response.status_code == (200 if who in allowed else 404)
    if who not in SEES:
        assert client_record.legal_name not in response.content.decode()


# Changes posted by those who may not make them: 404 and nothing changed.
POSTS = [
    ("crm:client-edit", {"legal_name": "Hacked", "kind": "individual", "id_type": "passport",
                         "kyc_status": "pending"}),
    ("crm:client-lifecycle", {"to_stage": "development", "reason": "x"}),
    ("crm:household-create", {"name": "Hacked", "relationship": "head"}),
]


@pytest.mark.parametrize("url_name,data", POSTS, ids=[p[0] for p in POSTS])
@pytest.mark.parametrize("who", sorted(set(ROLES) - EDITS))
def test_it_refuses_changes_from_those_who_may_not_edit(request, client, client_record, url_name, data, who):
    client.force_login(request.getfixturevalue(who))
    response = client.post(reverse(url_name, kwargs={"pk": client_record.pk}), data)
    assert response.status_code == 404
    client_record.refresh_from_db()
    assert (client_record.legal_name, client_record.lifecycle_stage) == ("Zhang Wei", "potential")


@pytest.mark.parametrize("who", sorted(set(ROLES) - REASSIGNS))
def test_it_refuses_reassignment_from_all_but_leads_and_administrators(request, client, client_record,
                                                                        teammate, who):
    client.force_login(request.getfixturevalue(who))
    response = client.post(reverse("crm:client-reassign", kwargs={"pk": client_record.pk}),
                           {"manager": teammate.pk, "role": "primary", "reason": "x"})
    assert response.status_code == 404
    client_record.refresh_from_db()
    assert client_record.primary_manager.username == "owner"


@pytest.mark.parametrize("who", ROLES)
def test_it_removes_household_members_only_for_editors(request, client, client_record, household, who):
    member = household.members.get()
    client.force_login(request.getfixturevalue(who))
    response = client.post(reverse("crm:household-member-remove", args=[household.pk, member.pk]))
    assert response.status_code == (302 if who in EDITS else 404)
    assert HouseholdMember.objects.filter(pk=member.pk).exists() == (who not in EDITS)


@pytest.mark.parametrize("who", ["owner", "teammate", "outsider", "team_lead", "other_lead", "compliance"])
def test_it_never_lets_a_household_page_leak_through_a_guessed_member(request, client, client_record,
                                                                      household, who):
    """A member id from another household is not found, even for someone who may edit that household."""
    other = services.household_create(name="Other", first_member=ClientFactory(legal_name="Stray"))
    member = household.members.get()
    client.force_login(request.getfixturevalue(who))
    response = client.post(reverse("crm:household-member-remove", args=[other.pk, member.pk]))
    assert response.status_code == 404
    assert HouseholdMember.objects.filter(pk=member.pk).exists()


PAGES = [
    ("crm:client-list", set(ROLES)),
    ("crm:client-export", set(ROLES)),
    ("crm:client-create", {"owner", "team_lead", "administrator", "teammate", "outsider", "other_lead"}),
    ("crm:workload", {"team_lead", "other_lead", "administrator"}),
    ("crm:handover", {"team_lead", "other_lead", "administrator"}),
]


@pytest.mark.parametrize("url_name,allowed", PAGES, ids=[p[0] for p in PAGES])
@pytest.mark.parametrize("who", ROLES)
def test_it_opens_registry_pages_by_role(request, client, url_name, allowed, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse(url_name)).status_code == (200 if who in allowed else 404)


ANONYMOUS = ["crm:client-create", "crm:client-export", "crm:workload", "crm:handover", "crm:handover-confirm",
             "crm:saved-filter-save"]


@pytest.mark.parametrize("url_name", ANONYMOUS)
def test_it_sends_anonymous_visitors_to_the_login_page(client, url_name):
    response = client.get(reverse(url_name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("url_name,kwargs,allowed", CLIENT_URLS, ids=[u[0] for u in CLIENT_URLS])
def test_it_sends_anonymous_visitors_away_from_client_pages(client, client_record, household, url_name, kwargs,
                                                            allowed):
    response = client.get(reverse(url_name, kwargs=kwargs(client_record, household)))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
