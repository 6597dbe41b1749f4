"""Complaints: the state machine (open → in progress → resolved / rejected), every change recorded
(who, when, from, to, note), the SLA setting, reassignment, the pages and who may use them."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from communications import feedback_services as services
from communications.feedback_selectors import COMPLAINT_OVERDUE
from communications.models import Complaint, ComplaintEvent, FeedbackSettings
from crm import attention
from tests.factories import ClientFactory, ManagerFactory

from .feedback_factories import ComplaintFactory

pytestmark = pytest.mark.django_db

S = Complaint.Status


@pytest.fixture
def complaint(client_record, owner):
    return services.complaint_raise(client=client_record, description="Charged twice.", raised_by=owner)


# ---------------------------------------------------------------------------
# The state machine and its record
# ---------------------------------------------------------------------------


def test_a_new_complaint_is_open_assigned_to_the_primary_rm_and_due_after_the_sla(client_record, owner):
    FeedbackSettings.objects.filter(pk=1).update(complaint_sla_days=10)

    complaint = services.complaint_raise(client=client_record, description="  Charged twice. ", raised_by=owner)

    assert (complaint.status, complaint.assignee, complaint.description) == (S.OPEN, owner, "Charged twice.")
    assert complaint.due_on == timezone.localdate() + timedelta(days=10)
    assert [(e.from_status, e.to_status, e.actor) for e in complaint.events.all()] == [("", S.OPEN, owner)]


def test_the_sla_comes_from_the_settings_row_an_administrator_edits():
    assert FeedbackSettings.objects.get(pk=1).complaint_sla_days == 15  # created by the migration


@pytest.mark.parametrize("path,final", [
    ([S.IN_PROGRESS, S.RESOLVED], S.RESOLVED),
    ([S.IN_PROGRESS, S.REJECTED], S.REJECTED),
])
def test_it_moves_along_the_allowed_path_and_records_every_step(complaint, owner, teammate, path, final):
    for step, actor in zip(path, [owner, teammate]):
        services.complaint_transition(complaint=complaint, to_status=step, actor=actor, note=f"step to {step}")

    complaint.refresh_from_db()
    assert complaint.status == final
    assert complaint.closed_at is not None and complaint.resolution == f"step to {final}"
    events = list(complaint.events.order_by("at", "id"))
    assert [(e.from_status, e.to_status, e.actor, e.note) for e in events] == [
        ("", S.OPEN, owner, ""),
        (S.OPEN, S.IN_PROGRESS, owner, f"step to {S.IN_PROGRESS}"),
        (S.IN_PROGRESS, final, teammate, f"step to {final}"),
    ]
    assert all(e.at is not None for e in events)
    # simple-history keeps each saved state as well.
    assert [h.status for h in complaint.history.order_by("history_date", "history_id")] == [S.OPEN, S.IN_PROGRESS, final]


@pytest.mark.parametrize("start,target", [
    (S.OPEN, S.RESOLVED), (S.OPEN, S.REJECTED), (S.OPEN, S.OPEN),
    (S.IN_PROGRESS, S.OPEN), (S.IN_PROGRESS, S.IN_PROGRESS),
    (S.RESOLVED, S.OPEN), (S.RESOLVED, S.IN_PROGRESS), (S.RESOLVED, S.REJECTED),
    (S.REJECTED, S.OPEN), (S.REJECTED, S.RESOLVED),
    (S.OPEN, "closed"),
])
def test_it_refuses_every_move_the_state_machine_does_not_allow(complaint, owner, start, target):
    if start != S.OPEN:
        services.complaint_transition(complaint=complaint, to_status=S.IN_PROGRESS, actor=owner)
    if start in Complaint.CLOSED:
        services.complaint_transition(complaint=complaint, to_status=start, actor=owner, note="done")
    events_before = complaint.events.count()

    with pytest.raises(ValidationError):
        services.complaint_transition(complaint=complaint, to_status=target, actor=owner, note="try")

    complaint.refresh_from_db()
    assert complaint.status == start
    assert complaint.events.count() == events_before


def test_closing_needs_a_note(complaint, owner):
    services.complaint_transition(complaint=complaint, to_status=S.IN_PROGRESS, actor=owner)
    with pytest.raises(ValidationError) as refused:
        services.complaint_transition(complaint=complaint, to_status=S.RESOLVED, actor=owner, note="  ")
    assert "note" in refused.value.message_dict
    complaint.refresh_from_db()
    assert complaint.status == S.IN_PROGRESS and complaint.closed_at is None


def test_the_database_refuses_a_closed_complaint_without_its_closing_time(complaint):
    with pytest.raises(IntegrityError), transaction.atomic():
        Complaint.objects.filter(pk=complaint.pk).update(status=S.RESOLVED)


def test_the_database_refuses_an_open_complaint_with_a_closing_time(complaint):
    with pytest.raises(IntegrityError), transaction.atomic():
        Complaint.objects.filter(pk=complaint.pk).update(closed_at=timezone.now())


def test_reassigning_is_recorded_and_only_to_someone_who_serves_the_client(complaint, team_lead, owner, outsider):
    services.complaint_assign(complaint=complaint, assignee=team_lead, actor=team_lead, note="I will call her")

    complaint.refresh_from_db()
    assert complaint.assignee == team_lead
    event = complaint.events.order_by("-at", "-id").first()
    assert (event.from_status, event.to_status, event.assignee, event.actor, event.note) == (
        S.OPEN, S.OPEN, team_lead, team_lead, "I will call her")

    with pytest.raises(ValidationError):
        services.complaint_assign(complaint=complaint, assignee=outsider, actor=team_lead)
    complaint.refresh_from_db()
    assert complaint.assignee == team_lead


def test_a_closed_complaint_cannot_be_reassigned(complaint, owner, team_lead):
    services.complaint_transition(complaint=complaint, to_status=S.IN_PROGRESS, actor=owner)
    services.complaint_transition(complaint=complaint, to_status=S.REJECTED, actor=owner, note="Not ours")
    with pytest.raises(ValidationError):
        services.complaint_assign(complaint=complaint, assignee=team_lead, actor=team_lead)


# ---------------------------------------------------------------------------
# Overdue complaints reach the reminders and the Today page through crm.attention
# ---------------------------------------------------------------------------


def complaint_overdue_items(*, today, horizon_days):
    return [item for item in attention.items_due(today=today, horizon_days=horizon_days)
            if item.kind == COMPLAINT_OVERDUE]


def test_overdue_complaints_are_an_attention_source_for_the_assignee(client_record, owner, teammate):
    today = timezone.localdate()
    overdue = ComplaintFactory(client=client_record, raised_at=timezone.now() - timedelta(days=20),
                               due_on=today - timedelta(days=5))
    reassigned = ComplaintFactory(client=client_record, assignee=teammate, due_on=today - timedelta(days=1))
    unassigned = ComplaintFactory(client=client_record, assignee=None, due_on=today - timedelta(days=2))
    ComplaintFactory(client=client_record, due_on=today)  # due today: not overdue yet
    ComplaintFactory(client=client_record, due_on=today - timedelta(days=9), status=S.RESOLVED,
                     closed_at=timezone.now())

    items = complaint_overdue_items(today=today, horizon_days=7)

    assert [(i.due_on, i.manager_id, i.kind) for i in items] == [
        (overdue.due_on, owner.pk, COMPLAINT_OVERDUE),
        (unassigned.due_on, owner.pk, COMPLAINT_OVERDUE),   # no assignee: the client's RM
        (reassigned.due_on, teammate.pk, COMPLAINT_OVERDUE),
    ]
    assert items[0].url == reverse("communications:complaint-detail", args=[overdue.pk])
    assert COMPLAINT_OVERDUE in {source.kind for source in attention.sources()}
    assert {i.kind for i in attention.items_due(today=today, horizon_days=7)} >= {COMPLAINT_OVERDUE}


def test_the_attention_source_costs_one_query_however_many_complaints(client_record, django_assert_num_queries):
    for days in range(5):
        ComplaintFactory(client=client_record, due_on=timezone.localdate() - timedelta(days=3 + days))
    # Two the same day are one reminder (the client, the kind and the due date make its key): the first one's.
    first = ComplaintFactory(client=client_record, due_on=timezone.localdate() - timedelta(days=10))
    ComplaintFactory(client=client_record, due_on=timezone.localdate() - timedelta(days=10))
    source = next(source for source in attention.sources() if source.kind == COMPLAINT_OVERDUE)
    with django_assert_num_queries(1):
        items = list(source.collect(today=timezone.localdate(), horizon_days=0))
    assert len(items) == 6
    assert items[0].url == reverse("communications:complaint-detail", args=[first.pk])


# ---------------------------------------------------------------------------
# Pages
# ---------------------------------------------------------------------------


def test_the_rm_moves_a_complaint_on_from_its_page(client, complaint, owner):
    client.force_login(owner)
    url = reverse("communications:complaint-transition", args=[complaint.pk])

    response = client.post(url, {"to_status": S.IN_PROGRESS, "note": "Calling the client"})
    assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.status == S.IN_PROGRESS

    response = client.post(url, {"to_status": S.RESOLVED})
    assert response.status_code == 400
    assert "Say how the complaint was resolved" in response.content.decode()
    complaint.refresh_from_db()
    assert complaint.status == S.IN_PROGRESS

    response = client.post(url, {"to_status": S.RESOLVED, "note": "Refunded the fee"})
    assert response.status_code == 302
    page = client.get(reverse("communications:complaint-detail", args=[complaint.pk])).content.decode()
    assert "Refunded the fee" in page and 'data-testid="complaint-transition"' not in page
    assert complaint.events.count() == 3


def test_the_page_offers_only_the_allowed_next_statuses(client, complaint, owner):
    client.force_login(owner)
    form = client.get(reverse("communications:complaint-detail", args=[complaint.pk])).context["transition_form"]
    assert [value for value, _label in form.fields["to_status"].choices] == [S.IN_PROGRESS]


def test_a_lead_reassigns_from_the_page_and_an_rm_cannot(client, complaint, owner, teammate, team_lead):
    url = reverse("communications:complaint-assign", args=[complaint.pk])
    client.force_login(owner)
    assert client.get(reverse("communications:complaint-detail", args=[complaint.pk])).context["assign_form"] is None
    assert client.post(url, {"assignee": team_lead.pk}).status_code == 404

    client.force_login(team_lead)
    form = client.get(reverse("communications:complaint-detail", args=[complaint.pk])).context["assign_form"]
    assert set(form.fields["assignee"].queryset) == {owner, team_lead}
    assert client.post(url, {"assignee": team_lead.pk, "note": "Escalated"}).status_code == 302
    complaint.refresh_from_db()
    assert complaint.assignee == team_lead


@pytest.mark.parametrize("who,sees,changes", [
    ("owner", True, True), ("team_lead", True, True), ("administrator", True, True),
    ("compliance", True, False), ("teammate", False, False), ("outsider", False, False), ("other_lead", False, False),
])
def test_who_reads_and_who_handles_a_complaint(request, client, complaint, who, sees, changes):
    client.force_login(request.getfixturevalue(who))
    detail = client.get(reverse("communications:complaint-detail", args=[complaint.pk]))
    assert detail.status_code == (200 if sees else 404)
    listed = client.get(reverse("communications:complaint-list"))
    assert (complaint.description in listed.content.decode()) is sees

    response = client.post(reverse("communications:complaint-transition", args=[complaint.pk]),
                           {"to_status": S.IN_PROGRESS})
    assert response.status_code == (302 if changes else 404)
    complaint.refresh_from_db()
    assert complaint.status == (S.IN_PROGRESS if changes else S.OPEN)


def test_the_list_filters_by_status_and_overdue(client, client_record, owner):
    today = timezone.localdate()
    late = ComplaintFactory(client=client_record, description="Late one", due_on=today - timedelta(days=1))
    ComplaintFactory(client=client_record, description="Fresh one", due_on=today + timedelta(days=10))
    ComplaintFactory(client=client_record, description="Settled one", status=S.RESOLVED, closed_at=timezone.now())
    client.force_login(owner)
    url = reverse("communications:complaint-list")

    def shown(query):
        return [c.description for c in client.get(url, query).context["page"]]

    assert shown({}) == ["Late one", "Fresh one"]
    assert shown({"overdue": "on"}) == ["Late one"]
    assert shown({"status": "resolved"}) == ["Settled one"]
    assert sorted(shown({"status": "all"})) == ["Fresh one", "Late one", "Settled one"]
    assert 'data-testid="overdue"' in client.get(url).content.decode()
    assert late.is_overdue()


@pytest.mark.parametrize("count", [2, 30])
def test_the_list_runs_the_same_queries_for_few_or_many_complaints(client, owner, count, django_assert_num_queries):
    for _ in range(count):
        ComplaintFactory(client=ClientFactory(manager=owner))
    client.force_login(owner)
    # 1 session, 2 user, 3 the user's roles, 4 the navbar's unread notifications, 5 count for the
    # paginator, 6 the page of complaints with their clients and assignees.
    with django_assert_num_queries(6):
        response = client.get(reverse("communications:complaint-list"))
    assert len(response.context["page"].object_list) == count


def test_staff_record_a_complaint_made_by_phone(client, client_record, owner):
    client.force_login(owner)
    response = client.post(reverse("communications:complaint-create", args=[client_record.pk]),
                           {"description": "Complained by phone about the branch queue."})
    complaint = Complaint.objects.get()
    assert response.status_code == 302
    assert (complaint.raised_by, complaint.assignee, complaint.feedback) == (owner, owner, None)
    assert ComplaintEvent.objects.get().actor == owner


def test_no_one_records_a_complaint_for_a_client_they_cannot_change(client, client_record, outsider, compliance):
    for user in (outsider, compliance):
        client.force_login(user)
        response = client.post(reverse("communications:complaint-create", args=[client_record.pk]),
                               {"description": "x"})
        assert response.status_code == 404
    assert not Complaint.objects.exists()


def test_a_new_rm_of_a_reassigned_client_takes_over_its_complaints_visibility(client, complaint, owner):
    from crm.services import assignment_transfer

    new_rm = ManagerFactory()
    assignment_transfer(client=complaint.client, manager=new_rm, assigned_by=owner, reason="handover")
    client.force_login(new_rm)
    assert client.get(reverse("communications:complaint-detail", args=[complaint.pk])).status_code == 200
    client.force_login(owner)
    assert client.get(reverse("communications:complaint-detail", args=[complaint.pk])).status_code == 404


def test_only_administrators_may_change_the_feedback_settings(owner, team_lead, compliance, administrator):
    for user in (owner, team_lead, compliance):
        assert not user.has_perm("communications.change_feedbacksettings"), user
        assert user.has_perm("communications.view_feedbacksettings"), user
    assert administrator.has_perm("communications.change_feedbacksettings")
