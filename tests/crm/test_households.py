"""Households: created around a client, members added and removed, combined AUM of what one may see."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from crm import access, selectors, services
from crm.models import Household, HouseholdMember
from tests.factories import ClientFactory, HouseholdMemberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def family(owner, client_record):
    """The owner's client as head, with a spouse the owner also serves."""
    client_record.aum_total = Decimal("5000000")
    client_record.save()
    household = services.household_create(name="Zhang family", first_member=client_record)
    spouse = ClientFactory(legal_name="Li Mei", phone="+8613600000009", aum_total=Decimal("1500000.50"),
                           manager=owner)
    services.household_member_add(household=household, client=spouse, relationship="spouse")
    return household


def test_it_creates_a_household_from_the_client_page(client, owner, client_record):
    client.force_login(owner)
    response = client.post(reverse("crm:household-create", args=[client_record.pk]),
                           {"name": "Zhang family", "relationship": "head", "notes": ""})
    household = Household.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("crm:household-detail", args=[household.pk])
    member = HouseholdMember.objects.get(household=household)
    assert (member.client, member.relationship) == (client_record, "head")


def test_it_shows_combined_aum(client, owner, family):
    client.force_login(owner)
    response = client.get(reverse("crm:household-detail", args=[family.pk]))
    assert response.status_code == 200
    assert response.context["combined_aum"] == Decimal("6500000.50")
    assert "Li Mei" in response.content.decode()


def test_it_neither_shows_nor_counts_members_served_by_other_rms(client, owner, outsider, family):
    HouseholdMemberFactory(household=family, client__legal_name="Secret Son", client__aum_total=Decimal("9"),
                           client__manager=outsider, relationship="child")
    client.force_login(owner)
    response = client.get(reverse("crm:household-detail", args=[family.pk]))
    assert response.context["combined_aum"] == Decimal("6500000.50")
    assert response.context["hidden_member_count"] == 1
    assert "Secret Son" not in response.content.decode()


def test_it_adds_a_member_found_by_phone(client, owner, family):
    son = ClientFactory(legal_name="Zhang Xiao", phone="+8613512345678", manager=owner)
    client.force_login(owner)
    response = client.post(reverse("crm:household-member-add", args=[family.pk]),
                           {"client": "135 1234 5678", "relationship": "child"})
    assert response.status_code == 302
    assert HouseholdMember.objects.get(client=son).household == family


def test_it_will_not_add_a_client_the_user_does_not_serve(client, owner, outsider, family):
    ClientFactory(legal_name="Other Client", phone="+8613511111111", manager=outsider)
    client.force_login(owner)
    response = client.post(reverse("crm:household-member-add", args=[family.pk]),
                           {"client": "Other Client", "relationship": "child"})
    assert response.status_code == 200
    assert "client" in response.context["add_form"].errors
    assert family.members.count() == 2


def test_it_refuses_a_client_who_already_has_a_household(client, owner, family):
    other = ClientFactory(legal_name="Wu Lei", manager=owner)
    services.household_create(name="Wu family", first_member=other)
    with pytest.raises(ValidationError):
        services.household_member_add(household=family, client=other, relationship="other")
    client.force_login(owner)
    response = client.post(reverse("crm:household-member-add", args=[family.pk]),
                           {"client": "Wu Lei", "relationship": "other"})
    assert response.status_code == 200
    assert "Wu family" in str(response.context["add_form"].errors)


def test_it_removes_a_member(client, owner, family):
    member = family.members.get(client__legal_name="Li Mei")
    client.force_login(owner)
    response = client.post(reverse("crm:household-member-remove", args=[family.pk, member.pk]))
    assert response.status_code == 302
    assert list(family.members.values_list("client__legal_name", flat=True)) == ["Zhang Wei"]


def test_it_removes_the_household_with_its_last_member_but_keeps_the_clients(client, owner, client_record):
    household = services.household_create(name="Solo", first_member=client_record)
    member = household.members.get()
    client.force_login(owner)
    response = client.post(reverse("crm:household-member-remove", args=[household.pk, member.pk]))
    assert response.status_code == 302
    assert not Household.objects.exists()
    client_record.refresh_from_db()
    assert client_record.status == "active"


def test_it_renames_a_household(client, owner, family):
    client.force_login(owner)
    response = client.post(reverse("crm:household-edit", args=[family.pk]), {"name": "Zhang–Li", "notes": "n"})
    assert response.status_code == 302
    family.refresh_from_db()
    assert (family.name, family.notes) == ("Zhang–Li", "n")


def test_it_computes_the_household_in_constant_queries(owner, family, django_assert_num_queries):
    for _index in range(10):
        HouseholdMemberFactory(household=family, client__manager=owner)
    access.client_list_visible(user=owner)  # roles cached, as in a request
    # 1 visible members with their clients and RMs, 2 the member count and combined AUM (one aggregate).
    with django_assert_num_queries(2):
        data = selectors.household_with_members(user=owner, household=family)
    assert len(data["members"]) == 12


# ---------------------------------------------------------------------------
# Who may change a household: whoever may edit every one of its members
# ---------------------------------------------------------------------------

@pytest.fixture
def shared(family, teammate, team_lead):
    """The owner's family with a member the teammate serves: the team lead may edit both."""
    HouseholdMemberFactory(household=family, client__legal_name="Teammate's Son", client__manager=teammate,
                           relationship="child")
    return family


@pytest.fixture
def across_teams(family, outsider, team_lead, other_lead):
    """The owner's family with a member an RM of another team serves: only administrators edit both."""
    HouseholdMemberFactory(household=family, client__legal_name="Outsider's Son", client__manager=outsider,
                           relationship="child")
    return family


@pytest.mark.parametrize("who,may_edit", [
    ("owner", False), ("teammate", False), ("team_lead", True), ("administrator", True), ("compliance", False),
])
def test_it_lets_only_those_who_may_edit_every_member_rename_a_shared_household(request, client, shared, who,
                                                                                may_edit):
    client.force_login(request.getfixturevalue(who))
    response = client.post(reverse("crm:household-edit", args=[shared.pk]), {"name": "Renamed", "notes": ""})
    assert response.status_code == (302 if may_edit else 404)
    shared.refresh_from_db()
    assert shared.name == ("Renamed" if may_edit else "Zhang family")
    assert access.household_may_edit(user=request.getfixturevalue(who), household_id=shared.pk) == may_edit


@pytest.mark.parametrize("who,may_edit", [
    ("owner", False), ("outsider", False), ("team_lead", False), ("other_lead", False), ("administrator", True),
])
def test_it_lets_no_rm_or_lead_alone_change_a_household_shared_across_teams(request, client, owner, across_teams,
                                                                            who, may_edit):
    newcomer = ClientFactory(legal_name="Newcomer", phone="+8613700000001", manager=owner)
    client.force_login(request.getfixturevalue(who))
    rename = client.post(reverse("crm:household-edit", args=[across_teams.pk]), {"name": "Renamed", "notes": ""})
    add = client.post(reverse("crm:household-member-add", args=[across_teams.pk]),
                      {"client": "Newcomer", "relationship": "other"})
    assert (rename.status_code, add.status_code) == ((302, 302) if may_edit else (404, 404))
    across_teams.refresh_from_db()
    assert across_teams.name == ("Renamed" if may_edit else "Zhang family")
    assert HouseholdMember.objects.filter(client=newcomer).exists() == may_edit


def test_it_still_shows_a_shared_household_to_each_rm_without_its_edit_controls(client, owner, across_teams):
    client.force_login(owner)
    response = client.get(reverse("crm:household-detail", args=[across_teams.pk]))
    assert response.status_code == 200
    assert (response.context["may_edit"], response.context["add_form"]) == (False, None)
    assert reverse("crm:household-edit", args=[across_teams.pk]) not in response.content.decode()
    assert "Outsider's Son" not in response.content.decode()


def test_it_lets_an_rm_take_their_own_client_out_of_a_shared_household_but_no_other(client, owner, across_teams):
    mine = across_teams.members.get(client__legal_name="Li Mei")
    theirs = across_teams.members.get(client__legal_name="Outsider's Son")
    client.force_login(owner)
    page = client.get(reverse("crm:household-detail", args=[across_teams.pk]))
    assert page.context["editable_client_ids"] == {mine.client_id, across_teams.members.get(
        client__legal_name="Zhang Wei").client_id}

    refused = client.post(reverse("crm:household-member-remove", args=[across_teams.pk, theirs.pk]))
    removed = client.post(reverse("crm:household-member-remove", args=[across_teams.pk, mine.pk]))

    assert (refused.status_code, removed.status_code) == (404, 302)
    assert set(across_teams.members.values_list("client__legal_name", flat=True)) == {"Zhang Wei", "Outsider's Son"}


@pytest.mark.parametrize("who,expected", [
    ("owner", {"Zhang family"}), ("outsider", set()), ("team_lead", {"Zhang family", "Team family"}),
    ("other_lead", set()), ("compliance", set()), ("administrator", {"Zhang family", "Team family", "Mixed"}),
])
def test_it_lists_as_editable_only_households_all_of_whose_members_one_may_edit(
        request, owner, teammate, outsider, team_lead, other_lead, family, who, expected):
    team = services.household_create(name="Team family", first_member=ClientFactory(manager=owner))
    services.household_member_add(household=team, client=ClientFactory(manager=teammate), relationship="spouse")
    mixed = services.household_create(name="Mixed", first_member=ClientFactory(manager=owner))
    services.household_member_add(household=mixed, client=ClientFactory(manager=outsider), relationship="spouse")

    editable = access.household_list_editable(user=request.getfixturevalue(who))

    assert set(editable.values_list("name", flat=True)) == expected


@pytest.mark.parametrize("who", ["owner", "teammate", "outsider", "team_lead", "other_lead", "compliance"])
def test_it_never_lets_a_household_page_leak_through_a_guessed_member(request, client, client_record, who):
    """A member id from another household is not found, even for someone who may edit that household."""
    household = services.household_create(name="Zhang family", first_member=client_record)
    other = services.household_create(name="Other", first_member=ClientFactory(legal_name="Stray"))
    member = household.members.get()
    client.force_login(request.getfixturevalue(who))
    response = client.post(reverse("crm:household-member-remove", args=[other.pk, member.pk]))
    assert response.status_code == 404
    assert HouseholdMember.objects.filter(pk=member.pk).exists()
