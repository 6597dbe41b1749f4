"""The demo data command: believable, consistent, and safe to run twice."""

import io

import pytest
from django.core.management import call_command
from django.db.models import Count, F, Q
from django.utils import timezone

from analytics.models import Opportunity
from crm import demo
from crm.models import Assignment, Client, Household, HouseholdMember, LifecycleTransition, Team, User
from crm.normalisers import credit_code_normalise, resident_id_normalise
from crm.roles import Role, user_roles

pytestmark = pytest.mark.django_db


def run(clients: int) -> str:
    out = io.StringIO()
    call_command("demo_data", clients=clients, stdout=out)
    return out.getvalue()


def test_it_creates_staff_teams_and_prints_their_credentials():
    output = run(40)
    assert demo.DEMO_PASSWORD in output
    for member in demo.DEMO_STAFF:
        user = User.objects.get(username=member.username)
        assert member.username in output
        assert user.check_password(demo.DEMO_PASSWORD)
        assert member.role.value in user_roles(user)
    assert User.objects.get(username=demo.DEMO_ADMIN).is_superuser
    assert Team.objects.count() == 2
    assert all(team.members.count() == 3 for team in Team.objects.all())


def test_it_is_idempotent():
    run(60)
    counts = [Client.objects.count(), Assignment.objects.count(), User.objects.count(), Team.objects.count(),
              Household.objects.count(), LifecycleTransition.objects.count()]
    output = run(60)
    assert "nothing to add" in output
    assert counts == [Client.objects.count(), Assignment.objects.count(), User.objects.count(),
                      Team.objects.count(), Household.objects.count(), LifecycleTransition.objects.count()]


def test_it_grows_the_book_to_a_larger_size():
    run(30)
    run(75)
    assert Client.objects.count() == 75
    assert Client.objects.values("id_number").distinct().count() == 75


def test_it_keeps_one_open_primary_per_client_in_step_with_the_client():
    run(200)
    open_primary = Assignment.objects.filter(role=Assignment.Role.PRIMARY, ended_at__isnull=True)
    assert not open_primary.values("client").annotate(n=Count("id")).filter(n__gt=1).exists()
    for client in Client.objects.select_related("primary_manager"):
        managers = [a.manager_id for a in open_primary if a.client_id == client.pk]
        assert managers == ([client.primary_manager_id] if client.primary_manager_id else [])
    assert Client.objects.filter(primary_manager__isnull=True).exists()  # unassigned, for the workload view
    assert Assignment.objects.filter(role=Assignment.Role.BACKUP).exists()
    rms = set(User.objects.filter(groups__name=Role.RELATIONSHIP_MANAGER).values_list("pk", flat=True))
    assert set(open_primary.values_list("manager", flat=True)) <= rms


def test_it_makes_a_believable_book():
    run(300)
    clients = Client.objects.all()
    assert set(clients.values_list("aum_tier", flat=True)) == set(Client.AumTier.values)
    assert set(clients.values_list("lifecycle_stage", flat=True)) == set(Client.LifecycleStage.values)
    assert set(clients.values_list("kind", flat=True)) == set(Client.Kind.values)
    assert clients.filter(legal_name__regex=r"^[\u4e00-\u9fff]+$").exists()
    assert clients.filter(legal_name__regex=r"^[A-Za-z]+ [A-Za-z]+$").exists()
    assert clients.filter(tags__isnull=False).exists()
    assert HouseholdMember.objects.values("household").annotate(n=Count("id")).filter(n__gte=2).exists()
    for client in clients.filter(Q(id_type="resident_id") | Q(id_type="credit_code")):
        normalise = resident_id_normalise if client.id_type == "resident_id" else credit_code_normalise
        assert normalise(client.id_number) == client.id_number  # valid check digits
    # Every client entered its stage by a recorded transition (clients who left did so through one more).
    assert set(LifecycleTransition.objects.values_list("client_id", flat=True)) == set(clients.values_list("pk", flat=True))
    assert not clients.filter(lifecycle_stage="termination").exclude(
        lifecycle_transitions__to_stage="termination").exists()
    assert clients.first().history.exists()
    # Cross-sell is on the pipeline page: open opportunities close ahead, won and lost ones behind.
    opportunities = Opportunity.objects.filter(client__in=clients)
    assert opportunities.filter(stage__in=Opportunity.OPEN, expected_close_on__gt=timezone.localdate()).exists()
    assert opportunities.filter(stage=Opportunity.Stage.WON, expected_close_on__lt=timezone.localdate()).exists()
    assert not opportunities.exclude(owner_id=F("client__primary_manager_id")).exists()
    # Household members share their RM, so the household page is whole for that RM.
    for household in Household.objects.prefetch_related("members__client"):
        assert len({m.client.primary_manager_id for m in household.members.all()}) == 1
