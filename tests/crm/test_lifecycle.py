"""Lifecycle stages: only the allowed moves, each recorded with who, when, from, to and why."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from crm import services
from crm.models import Client, LifecycleTransition
from crm.selectors import LIFECYCLE_TRANSITIONS

pytestmark = pytest.mark.django_db

STAGES = Client.LifecycleStage.values
ALLOWED = {(from_stage, to_stage) for from_stage, targets in LIFECYCLE_TRANSITIONS.items() for to_stage in targets}


def test_it_allows_the_moves_the_business_defines():
    assert ALLOWED == {
        ("potential", "development"), ("potential", "termination"),
        ("development", "growth"), ("development", "decline"), ("development", "termination"),
        ("growth", "maturity"), ("growth", "decline"), ("growth", "termination"),
        ("maturity", "decline"), ("maturity", "growth"), ("maturity", "termination"),
        ("decline", "growth"), ("decline", "maturity"), ("decline", "termination"),
        ("termination", "development"),
    }


@pytest.mark.parametrize("from_stage", STAGES)
@pytest.mark.parametrize("to_stage", STAGES)
def test_it_applies_allowed_moves_and_refuses_the_rest(client_record, owner, from_stage, to_stage):
    Client.objects.filter(pk=client_record.pk).update(lifecycle_stage=from_stage)
    if (from_stage, to_stage) in ALLOWED:
        transition = services.lifecycle_transition(client=client_record, to_stage=to_stage, reason="review",
                                                   changed_by=owner)
        assert (transition.from_stage, transition.to_stage, transition.changed_by) == (from_stage, to_stage, owner)
    else:
        with pytest.raises(ValidationError):
            services.lifecycle_transition(client=client_record, to_stage=to_stage, reason="review",
                                          changed_by=owner)
        assert not LifecycleTransition.objects.exists()
    client_record.refresh_from_db()
    assert client_record.lifecycle_stage == (to_stage if (from_stage, to_stage) in ALLOWED else from_stage)


def test_it_changes_the_stage_from_the_client_page(client, owner, client_record):
    client.force_login(owner)
    response = client.post(reverse("crm:client-lifecycle", args=[client_record.pk]),
                           {"to_stage": "development", "reason": "First meeting went well"})
    assert response.status_code == 302
    client_record.refresh_from_db()
    assert client_record.lifecycle_stage == "development"
    transition = LifecycleTransition.objects.get(client=client_record)
    assert (transition.from_stage, transition.to_stage, transition.reason, transition.changed_by) == (
        "potential", "development", "First meeting went well", owner)
    assert transition.changed_at is not None


def test_it_shows_an_error_for_a_move_that_is_not_allowed(client, owner, client_record):
    client.force_login(owner)
    response = client.post(reverse("crm:client-lifecycle", args=[client_record.pk]),
                           {"to_stage": "maturity", "reason": "skip ahead"})
    assert response.status_code == 200
    assert "to_stage" in response.context["form"].errors
    client_record.refresh_from_db()
    assert client_record.lifecycle_stage == "potential"


def test_it_requires_a_reason(client, owner, client_record):
    client.force_login(owner)
    response = client.post(reverse("crm:client-lifecycle", args=[client_record.pk]),
                           {"to_stage": "development", "reason": "  "})
    assert response.status_code == 200
    assert "reason" in response.context["form"].errors
    with pytest.raises(ValidationError):
        services.lifecycle_transition(client=client_record, to_stage="development", reason="", changed_by=owner)
    assert not LifecycleTransition.objects.exists()


def test_it_keeps_a_terminated_client_and_can_reactivate_it(client, owner, client_record):
    services.lifecycle_transition(client=client_record, to_stage="termination", reason="Moved abroad",
                                  changed_by=owner)
    client_record.refresh_from_db()
    assert (client_record.lifecycle_stage, client_record.status) == ("termination", "inactive")
    client.force_login(owner)
    assert client.get(reverse("crm:client-detail", args=[client_record.pk])).status_code == 200
    services.lifecycle_transition(client=client_record, to_stage="development", reason="Came back",
                                  changed_by=owner)
    client_record.refresh_from_db()
    assert (client_record.lifecycle_stage, client_record.status) == ("development", "active")
    assert list(LifecycleTransition.objects.values_list("to_stage", flat=True)) == ["development", "termination"]


def test_it_does_not_let_compliance_change_the_stage(client, compliance, client_record):
    client.force_login(compliance)
    response = client.post(reverse("crm:client-lifecycle", args=[client_record.pk]),
                           {"to_stage": "development", "reason": "x"})
    assert response.status_code == 404
    client_record.refresh_from_db()
    assert client_record.lifecycle_stage == "potential"
