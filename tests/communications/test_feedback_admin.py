"""The feedback settings an administrator edits in admin; feedback and complaints are read there only."""

import pytest
from django.urls import reverse

from communications.models import FeedbackSettings

from .feedback_factories import ComplaintFactory

pytestmark = pytest.mark.django_db


def test_an_administrator_changes_the_complaint_sla_in_admin(client, administrator):
    client.force_login(administrator)
    url = reverse("admin:communications_feedbacksettings_change", args=[1])

    response = client.post(url, {"complaint_sla_days": "10", "link_valid_days": "7"})

    assert response.status_code == 302
    settings_row = FeedbackSettings.objects.get(pk=1)
    assert (settings_row.complaint_sla_days, settings_row.link_valid_days) == (10, 7)
    assert settings_row.history.first().history_user == administrator
    # One row only: nothing to add.
    assert client.get(reverse("admin:communications_feedbacksettings_add")).status_code == 403


def test_compliance_reads_the_settings_and_changes_nothing(client, compliance):
    client.force_login(compliance)
    url = reverse("admin:communications_feedbacksettings_change", args=[1])
    assert client.get(url).status_code == 200
    assert client.post(url, {"complaint_sla_days": "99", "link_valid_days": "7"}).status_code == 403
    assert FeedbackSettings.objects.get(pk=1).complaint_sla_days == 15


def test_complaints_are_read_only_in_admin_even_for_administrators(client, administrator, client_record):
    complaint = ComplaintFactory(client=client_record)
    client.force_login(administrator)
    url = reverse("admin:communications_complaint_change", args=[complaint.pk])
    assert client.get(url).status_code == 200
    client.post(url, {"status": "resolved", "description": "changed"})
    complaint.refresh_from_db()
    assert (complaint.status, complaint.description) == ("open", "The fee was charged twice.")
