"""Every kind of change to client data leaves a history row: who, when, what (old → new), from
which request (IP address and request id) — through the pages, and through the bulk paths
(imports, handover, re-tiering, closing next steps) that a save signal alone would miss."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from communications.models import Complaint, ContactLog, Review
from crm import imports, services
from crm.models import Assignment, AumTierThreshold, Client, HouseholdMember
from portfolios import imports as portfolio_imports
from portfolios.models import Alert, DrawdownLimit, Goal, Holding
from risk import selectors as risk_selectors
from risk.models import Assessment
from tests.communications.factories import ContactLogFactory, ReminderFactory
from tests.crm.test_client_forms import form_data
from tests.factories import (
    ClientFactory,
    HouseholdFactory,
    HouseholdMemberFactory,
    ManagerFactory,
    csv_bytes,
)
from tests.portfolios.factories import AccountFactory, AlertFactory, HoldingFactory
from tests.portfolios.test_import_positions import position, table

pytestmark = pytest.mark.django_db


def latest(queryset):
    return queryset.order_by("-history_date", "-history_id").first()


def changes(row) -> dict:
    """``{field: (old, new)}`` of a history row against the one before it (simple-history's own diff)."""
    return {c.field: (c.old, c.new) for c in row.diff_against(row.prev_record).changes}


def assert_from_request(row, user) -> None:
    assert row.history_user == user
    assert row.ip_address == "127.0.0.1"  # Django's test client's REMOTE_ADDR
    assert len(row.request_id) == 32


# --- Through the pages: one request, one attributable row -------------------------------------


def test_it_records_a_client_created_on_the_form(client, owner):
    client.force_login(owner)
    response = client.post(reverse("crm:client-create"), form_data(legal_name="Liu Yang"))
    assert response.status_code == 302
    created = Client.history.get(legal_name="Liu Yang", history_type="+")
    assert_from_request(created, owner)
    # Then its first RM assignment, in the same request.
    assigned = latest(Client.history.filter(legal_name="Liu Yang"))
    assert assigned.request_id == created.request_id and changes(assigned)["primary_manager"] == (None, owner.pk)


def test_it_records_old_and_new_values_of_a_client_edit(client, owner, client_record):
    client.force_login(owner)
    client.post(reverse("crm:client-edit", args=[client_record.pk]), form_data(legal_name="Zhang Wei"))
    response = client.post(reverse("crm:client-edit", args=[client_record.pk]),
                           form_data(legal_name="Zhang Wei", occupation="Surgeon"))
    assert response.status_code == 302
    row = latest(client_record.history.all())
    assert row.history_type == "~"
    assert_from_request(row, owner)
    assert changes(row)["occupation"] == ("Engineer", "Surgeon")


def test_it_records_a_lifecycle_change_on_the_client(client, owner, client_record):
    client.force_login(owner)
    response = client.post(reverse("crm:client-lifecycle", args=[client_record.pk]),
                           {"to_stage": "development", "reason": "First meeting"})
    assert response.status_code == 302
    row = latest(client_record.history.all())
    assert_from_request(row, owner)
    assert changes(row)["lifecycle_stage"] == ("potential", "development")


def test_it_records_who_ended_and_opened_assignments_on_a_reassignment(client, team_lead, owner, teammate,
                                                                       client_record):
    client.force_login(team_lead)
    response = client.post(reverse("crm:client-reassign", args=[client_record.pk]),
                           {"manager": teammate.pk, "role": "primary", "reason": "Owner on leave"})
    assert response.status_code == 302
    ended = latest(Assignment.history.filter(manager=owner, client=client_record))
    assert ended.history_type == "~" and ended.history_change_reason == "Owner on leave"
    assert_from_request(ended, team_lead)
    assert changes(ended)["ended_at"][0] is None
    opened = latest(Assignment.history.filter(manager=teammate, client=client_record))
    assert opened.history_type == "+"
    assert_from_request(opened, team_lead)
    assert changes(latest(client_record.history.all()))["primary_manager"] == (owner.pk, teammate.pk)


def test_it_records_a_household_member_removed(client, owner, client_record):
    household = HouseholdFactory()
    member = HouseholdMemberFactory(household=household, client=client_record)
    HouseholdMemberFactory(household=household, client=ClientFactory(primary_manager=owner))
    client.force_login(owner)
    response = client.post(reverse("crm:household-member-remove", args=[household.pk, member.pk]))
    assert response.status_code == 302
    assert not HouseholdMember.objects.filter(pk=member.pk).exists()
    row = latest(HouseholdMember.history.filter(id=member.pk))
    assert row.history_type == "-"
    assert_from_request(row, owner)


def test_it_records_a_stop_loss_set_on_a_holding(client, owner, client_record):
    holding = HoldingFactory(account=AccountFactory(client=client_record))
    client.force_login(owner)
    response = client.post(reverse("portfolios:holding-stop-loss", args=[holding.pk]), {"stop_loss_pct": "10"})
    assert response.status_code == 302
    row = latest(holding.history.all())
    assert_from_request(row, owner)
    assert changes(row)["stop_loss_pct"] == (None, Decimal("10.00"))


def test_it_records_a_goal_and_a_drawdown_limit(client, owner, client_record):
    client.force_login(owner)
    client.post(reverse("portfolios:goal-create", args=[client_record.pk]), {
        "kind": "education", "name": "College", "target_amount": "200000", "currency": "CNY",
        "target_date": "2035-09-01", "funded_amount": "0", "expected_return_pct": "3"})
    response = client.post(reverse("portfolios:drawdown-edit", args=[client_record.pk]), {"max_drawdown_pct": "5"})
    assert response.status_code == 302
    goal_row = latest(Goal.history.filter(client=client_record))
    assert goal_row.history_type == "+" and goal_row.name == "College"
    assert_from_request(goal_row, owner)
    assert_from_request(latest(DrawdownLimit.history.filter(client=client_record)), owner)


def test_it_records_who_acknowledged_an_alert(client, owner, client_record):
    alert = AlertFactory(client=client_record)
    client.force_login(owner)
    response = client.post(reverse("portfolios:alert-acknowledge", args=[alert.pk]))
    assert response.status_code == 302
    row = latest(Alert.history.filter(id=alert.pk))
    assert_from_request(row, owner)
    assert changes(row)["acknowledged_by"] == (None, owner.pk)


def test_it_records_a_risk_assessment_and_the_level_it_sets(client, owner, client_record):
    version = risk_selectors.questionnaire_version_current()
    answers = {f"q{q.pk}": str(q.options.all()[0].pk) for q in version.questions.all()}
    client.force_login(owner)
    response = client.post(reverse("risk:assess", args=[client_record.pk]), answers)
    assert response.status_code == 302
    assessment_row = latest(Assessment.history.filter(client=client_record))
    assert assessment_row.history_type == "+"
    assert_from_request(assessment_row, owner)
    level_row = latest(client_record.history.all())
    assert_from_request(level_row, owner)
    assert "risk_level" in changes(level_row)


def test_it_records_contacts_reviews_and_complaints(client, owner, client_record):
    client.force_login(owner)
    client.post(reverse("communications:contact-create", args=[client_record.pk]), {
        "channel": "phone", "summary": "Called about the bond ladder",
        "occurred_at": timezone.localtime().strftime("%Y-%m-%dT00:00")})
    client.post(reverse("communications:review-complete", args=[client_record.pk]), {
        "completed_on": timezone.localdate().isoformat(), "portfolio_reviewed": "on", "notes": ""})
    response = client.post(reverse("communications:complaint-create", kwargs={"client_pk": client_record.pk}),
                           {"description": "Rude call"})
    assert response.status_code == 302
    for model in (ContactLog, Review, Complaint):
        row = latest(model.history.filter(client=client_record))
        assert row is not None and row.history_type == "+", model
        assert_from_request(row, owner)


# --- Bulk paths ----------------------------------------------------------------------------


def test_a_bulk_handover_writes_history_for_every_moved_client(client, team_lead, owner, teammate):
    book = [ClientFactory(primary_manager=owner) for _ in range(3)]
    services.assignment_handover_bulk(user=team_lead, leaving_manager=owner, targets=[teammate],
                                      reason="Owner leaves the bank")
    for record in book:
        row = latest(record.history.all())
        assert row.history_user == team_lead and row.history_change_reason == "Owner leaves the bank"
        assert changes(row)["primary_manager"] == (owner.pk, teammate.pk)
        opened = latest(Assignment.history.filter(client=record, manager=teammate))
        assert opened.history_type == "+" and opened.history_user == team_lead


def test_a_client_import_writes_a_history_row_per_client_with_its_request(client, owner):
    client_import = imports.client_import_upload(
        user=owner, file_name="book.csv", data=csv_bytes([["Name", "Phone"], ["Li Na", "13900139000"],
                                                         ["Wang Fang", "13900139001"]]))
    client.force_login(owner)
    response = client.post(reverse("crm:import-commit", args=[client_import.pk]))
    assert response.status_code == 302
    rows = Client.history.filter(legal_name__in=["Li Na", "Wang Fang"])
    assert rows.count() == 2
    for row in rows:
        assert row.history_type == "+" and row.history_change_reason == "Import of book.csv"
        assert_from_request(row, owner)
    assert Assignment.history.filter(client_id__in=[r.id for r in rows], history_user=owner).count() == 2


def test_a_positions_import_writes_holding_history_with_the_importer_and_file(owner, client_record):
    portfolio_imports.positions_import_commit(table=table([position(client_record)]), user=owner)
    holding = Holding.objects.get()
    row = latest(holding.history.all())
    assert row.history_type == "+" and row.history_user == owner
    assert row.history_change_reason == "Positions import of positions.csv"


def test_re_tiering_after_a_threshold_change_writes_history_instead_of_a_silent_update(client_record):
    Client.objects.filter(pk=client_record.pk).update(aum_total=Decimal(50000000))  # set up only
    AumTierThreshold.objects.filter(tier=Client.AumTier.HNW).update(minimum_aum=Decimal(1000000))
    before = client_record.history.count()
    assert services.client_aum_tiers_refresh() >= 1
    client_record.refresh_from_db()
    assert client_record.aum_tier == Client.AumTier.HNW
    assert client_record.history.count() == before + 1
    row = latest(client_record.history.all())
    assert row.history_type == "~" and row.history_change_reason == "AUM tier thresholds changed"
    assert changes(row)["aum_tier"][1] == Client.AumTier.HNW


def test_closing_a_follow_up_reminder_writes_history_for_each_next_step(client, owner, client_record):
    due = timezone.localdate()
    contacts = [ContactLogFactory(client=client_record, recorded_by=owner, next_step="Call back",
                                  next_step_due_on=due) for _ in range(2)]
    reminder = ReminderFactory(client=client_record, manager=owner, kind="follow-up", due_on=due)
    client.force_login(owner)
    response = client.post(reverse("communications:reminder-done", args=[reminder.pk]))
    assert response.status_code == 302
    for contact in contacts:
        row = latest(contact.history.all())
        assert_from_request(row, owner)
        assert changes(row)["next_step_done_at"][0] is None


def test_history_rows_outside_a_request_have_no_request_fields(owner, client_record):
    services.client_update(client=client_record, occupation="Pilot")
    row = latest(client_record.history.all())
    assert row.ip_address is None and row.request_id == ""


def test_a_manager_factory_user_is_not_an_auditor(client):
    rm = ManagerFactory()
    client.force_login(rm)
    assert client.get(reverse("crm:audit-changes")).status_code == 404
