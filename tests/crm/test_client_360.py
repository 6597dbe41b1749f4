"""The client 360 page: profile, segments, RMs and their history, household, and the apps' panels."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from crm import access, panels, services
from crm.models import Assignment, Client, LifecycleTransition
from tests.factories import HouseholdMemberFactory, ManagerFactory, TagFactory
from tests.panels import client_page_queries

pytestmark = pytest.mark.django_db


def test_it_shows_the_whole_client_record(client, owner, client_record):
    client_record.tags.add(TagFactory(name="golf"))
    client_record.notes = "Prefers calls after 18:00"
    client_record.investment_goal = Client.InvestmentGoal.EDUCATION
    client_record.save()
    client.force_login(owner)
    response = client.get(reverse("crm:client-detail", args=[client_record.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    for expected in ["Zhang Wei", client_record.id_number, "Education", "golf", "Prefers calls after 18:00",
                     "Olivia Owner", 'data-testid="portfolio-panel"']:
        assert expected in page


def test_it_says_not_assessed_until_the_risk_level_is_known(client, owner, client_record):
    client.force_login(owner)
    response = client.get(reverse("crm:client-detail", args=[client_record.pk]))
    assert "Not assessed" in response.content.decode()
    client_record.risk_level = "C3"
    client_record.save()
    response = client.get(reverse("crm:client-detail", args=[client_record.pk]))
    assert "C3" in response.content.decode()


def test_it_shows_the_assignment_history_with_managers(client, team_lead, owner, client_record, teammate):
    services.assignment_transfer(client=client_record, manager=teammate, assigned_by=team_lead,
                                 reason="Owner on leave")
    client.force_login(team_lead)
    response = client.get(reverse("crm:client-detail", args=[client_record.pk]))
    history = response.context["assignments"]
    assert [(a.manager, a.ended_at is None) for a in history] == [(teammate, True), (owner, False)]
    assert "Owner on leave" in response.content.decode()


def test_it_shows_the_household_with_combined_aum(client, owner, client_record):
    client_record.aum_total = Decimal("1000000")
    client_record.save()
    membership = HouseholdMemberFactory(client=client_record)
    HouseholdMemberFactory(household=membership.household, client__legal_name="Li Mei",
                           client__aum_total=Decimal("250000"), client__manager=owner)
    client.force_login(owner)
    response = client.get(reverse("crm:client-detail", args=[client_record.pk]))
    assert response.context["household"]["combined_aum"] == Decimal("1250000")
    assert "Li Mei" in response.content.decode()


def test_it_offers_the_allowed_next_stages_only(client, owner, client_record):
    client.force_login(owner)
    response = client.get(reverse("crm:client-detail", args=[client_record.pk]))
    choices = [value for value, _label in response.context["lifecycle_form"].fields["to_stage"].choices]
    assert choices == ["development", "termination"]


def test_it_gives_compliance_the_page_without_change_controls(client, compliance, client_record):
    client.force_login(compliance)
    response = client.get(reverse("crm:client-detail", args=[client_record.pk]))
    assert response.status_code == 200
    assert response.context["lifecycle_form"] is None
    assert reverse("crm:client-edit", args=[client_record.pk]) not in response.content.decode()


def app_panel_queries(client_record, user) -> int:
    """The queries of the panels and header facts other apps contribute to the page, counted alone;
    each app keeps its own constant."""
    may_edit = access.client_may_edit(user=user, client_id=client_record.pk)  # the page passes it on
    return client_page_queries(user=user, client=client_record, known={"may_edit": may_edit})


@pytest.mark.parametrize("history_rows", [3, 30])
def test_it_renders_in_a_constant_number_of_queries(client, team_lead, owner, client_record,
                                                    django_assert_num_queries, history_rows):
    now = timezone.now()
    for index in range(history_rows):
        manager = ManagerFactory()
        Assignment.objects.create(client=client_record, manager=manager, role=Assignment.Role.BACKUP,
                                  started_at=now - timedelta(days=index + 2), ended_at=now - timedelta(days=1))
        LifecycleTransition.objects.create(client=client_record, from_stage="potential", to_stage="development",
                                           reason=f"step {index}", changed_by=manager)
    membership = HouseholdMemberFactory(client=client_record)
    for index in range(history_rows):
        HouseholdMemberFactory(household=membership.household, client__manager=owner)
    client_record.tags.add(TagFactory(name="vip"))
    client.force_login(team_lead)
    # 1 session, 2 user, 3 user's groups (roles), 4 the visible client with its RM, creator, merge
    # target and household membership with household, 5 its tags, 6 assignments with managers and
    # assigners, 7 lifecycle transitions with who, 8 visible household members with clients and RMs,
    # 9 combined AUM (one aggregate), 10 the navbar's unread notification count, 11-13 saving the
    # session with the recently viewed clients (savepoint, update, release), 14 the log of the view (one
    # INSERT, crm.audit); plus the apps' panels' and header facts' own queries, which each app keeps
    # constant. Whether the user may edit the client costs none (crm.access.client_visible_may_edit).
    with django_assert_num_queries(14 + app_panel_queries(client_record, team_lead)):
        response = client.get(reverse("crm:client-detail", args=[client_record.pk]))
    assert response.status_code == 200
    assert len(response.context["assignments"]) == history_rows + 1
    assert len(response.context["household"]["members"]) == history_rows + 1


def test_it_opens_with_a_header_strip_of_the_key_facts(client, owner, client_record):
    from portfolios.models import Alert
    from tests.portfolios.factories import AlertFactory

    client_record.aum_total = Decimal("36173000.63")
    client_record.risk_level = "C3"
    client_record.save()
    AlertFactory(client=client_record, kind=Alert.Kind.STOP_LOSS, subject="600519")
    AlertFactory(client=client_record, kind=Alert.Kind.REGION, subject="China")
    AlertFactory(client=client_record, kind=Alert.Kind.INDUSTRY, subject="Banks")
    client.force_login(owner)
    response = client.get(reverse("crm:client-detail", args=[client_record.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    strip = page[page.index('data-testid="client-header"'):page.index('data-testid="profile"')]
    for key in ("aum", "tier", "risk", "stage", "rm", "alerts", "last-contact", "next-review"):
        assert f'data-testid="fact-{key}"' in strip
    assert "36,173,000.63 CNY" in strip and "Olivia Owner" in strip
    assert "1 High" in strip and "2 Low" in strip  # open alerts by severity, from portfolios
    assert "None yet" in strip  # no contact logged, from communications


def test_it_writes_amounts_with_thousand_separators_and_wan_in_chinese(client, owner, client_record):
    client_record.aum_total = Decimal("36173000.63")
    client_record.save()
    client.force_login(owner)
    client.cookies["django_language"] = "zh-hans"
    page = client.get(reverse("crm:client-detail", args=[client_record.pk])).content.decode()
    assert "36,173,000.63 CNY" in page and "36173000.63" not in page
    assert "3,617.30万 CNY" in page  # the header strip counts in 万
    assert "创建时间" in page


def test_it_links_phone_and_email_and_changes_stage_in_a_modal(client, owner, client_record):
    client_record.phone = "+8613912345678"
    client_record.email = "zhang.wei@mail.example"
    client_record.save()
    client.force_login(owner)
    page = client.get(reverse("crm:client-detail", args=[client_record.pk])).content.decode()
    assert 'href="tel:+8613912345678"' in page
    assert 'href="mailto:zhang.wei@mail.example"' in page
    assert 'data-bs-target="#change-stage-modal"' in page
    modal = page[page.index('id="change-stage-modal"'):]
    assert reverse("crm:client-lifecycle", args=[client_record.pk]) in modal


def test_panels_that_take_what_the_page_knows_get_it_and_the_others_are_called_as_before(monkeypatch, rf, owner):
    """crm.panels.render(known=...): the client page passes ``may_edit`` once, so panels need not ask again."""
    seen = {}

    def asks(*, request, client):
        seen["asks"] = "called"
        return None

    def takes(*, request, client, may_edit=None):
        seen["takes"] = may_edit
        return None

    def takes_any(*, request, **objects):
        seen["takes_any"] = objects.get("may_edit")
        return None

    slot = {key: panels.Panel(slot=panels.CLIENT_SIDE, key=key, template="", context=function)
            for key, function in (("asks", asks), ("takes", takes), ("takes_any", takes_any))}
    monkeypatch.setitem(panels._registry, panels.CLIENT_SIDE, slot)
    request = rf.get("/")
    request.user = owner

    panels.render(panels.CLIENT_SIDE, request=request, client=None, known={"may_edit": True})

    assert seen == {"asks": "called", "takes": True, "takes_any": True}
