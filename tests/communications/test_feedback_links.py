"""Sending a feedback link from the client page: shown once to copy, or e-mailed to the client; the
client page's feedback panel with recent feedback and open complaints."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.template import RequestContext, Template
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from communications.feedback_services import feedback_link_issue
from communications.models import FeedbackSettings
from crm import panels
from crm.models import PublicLink
from crm.roles import user_roles
from tests.panels import panel_html

from .feedback_factories import ComplaintFactory, FeedbackFactory

pytestmark = pytest.mark.django_db


def issue_url(client_record):
    return reverse("communications:feedback-link-create", args=[client_record.pk])


def test_the_rm_gets_a_link_shown_once_on_the_client_page(client, client_record, owner):
    client.force_login(owner)

    response = client.post(issue_url(client_record), {"delivery": "copy"})

    assert response.status_code == 302 and response.url == reverse("crm:client-detail", args=[client_record.pk])
    link = PublicLink.objects.get()
    assert (link.client, link.issued_by, link.purpose, link.used_at) == (client_record, owner, "feedback", None)
    page = client.get(response.url).content.decode()
    assert 'data-testid="feedback-link-url"' in page
    assert "http://testserver/communications/feedback/" in page
    # Shown once: the token is not stored, so the next visit cannot show it again.
    assert 'data-testid="feedback-link-url"' not in client.get(response.url).content.decode()
    assert not mail.outbox


def test_the_link_is_valid_for_the_days_an_administrator_set(client_record, owner):
    FeedbackSettings.objects.filter(pk=1).update(link_valid_days=3)
    issued = feedback_link_issue(client=client_record, issued_by=owner)
    assert issued.link.expires_at - issued.link.issued_at == timedelta(days=3)


def test_the_link_can_be_e_mailed_to_the_client_in_chinese_and_english(client, client_record, owner,
                                                                       django_capture_on_commit_callbacks):
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(issue_url(client_record), {"delivery": "email"})

    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [client_record.email]
    assert "http://testserver/communications/feedback/" in message.body
    assert "Olivia Owner" in message.body and "Dear Zhang Wei" in message.body
    assert "请" in message.subject + message.body     # the Chinese half
    page = client.get(response.url).content.decode()
    assert f"e-mailed to {client_record.email}" in page


def test_a_client_without_an_e_mail_address_gets_no_mail_and_the_rm_is_told(client, client_record, owner):
    client_record.email = ""
    client_record.save()
    client.force_login(owner)

    response = client.post(issue_url(client_record), {"delivery": "email"}, follow=True)

    assert response.status_code == 200
    assert "has no e-mail address on record" in response.content.decode()
    assert not PublicLink.objects.exists() and not mail.outbox
    with pytest.raises(ValidationError):
        feedback_link_issue(client=client_record, issued_by=owner, send_email=True, base_url="http://x/")


@pytest.mark.parametrize("who", ["teammate", "outsider", "other_lead", "compliance"])
def test_only_those_who_may_change_the_client_send_links(request, client, client_record, who):
    client.force_login(request.getfixturevalue(who))
    assert client.post(issue_url(client_record), {"delivery": "copy"}).status_code == 404
    assert not PublicLink.objects.exists()


def test_a_link_is_only_sent_by_post(client, client_record, owner):
    client.force_login(owner)
    assert client.get(issue_url(client_record)).status_code == 405


def test_the_panel_shows_recent_feedback_and_open_complaints(client_record, owner):
    FeedbackFactory(client=client_record, nps=3, csat=2, comments="Slow answers", is_complaint=True)
    ComplaintFactory(client=client_record, description="Nobody called back",
                     due_on=timezone.localdate() - timedelta(days=1))
    ComplaintFactory(client=client_record, description="Old and settled", status="resolved", closed_at=timezone.now())

    html = panel_html(panels.CLIENT_SIDE, "feedback", user=owner, client=client_record)

    assert "NPS 3" in html and "CSAT 2/5" in html and "Slow answers" in html
    assert "Nobody called back" in html and "Overdue" in html
    assert "Old and settled" not in html
    assert 'data-testid="feedback-link-copy"' in html


def test_compliance_reads_the_panel_without_the_buttons(client_record, compliance):
    html = panel_html(panels.CLIENT_SIDE, "feedback", user=compliance, client=client_record)
    assert "No feedback yet." in html
    assert "feedback-link-copy" not in html and "Record a complaint" not in html


def feedback_panel_queries(*, user, client) -> int:
    """The queries of this panel alone, rendered as the client page renders it."""
    request = RequestFactory().get("/")
    request.user, request.session = user, {}
    user_roles(user)  # cached by the page before its panels render
    panel = next(p for p in panels.registered(panels.CLIENT_SIDE) if p.key == "feedback")
    with CaptureQueriesContext(connection) as queries:
        render_to_string(panel.template, panel.context(request=request, client=client), request=request)
    # The context processors (the navbar's counts) run for every template rendered with a request;
    # they are not this panel's queries.
    with CaptureQueriesContext(connection) as processors:
        Template("").render(RequestContext(request))
    return len(queries) - len(processors)


@pytest.mark.parametrize("count", [1, 20])
def test_the_panel_costs_the_same_queries_however_much_feedback(client_record, owner, count):
    for _ in range(count):
        FeedbackFactory(client=client_record, is_complaint=True)
        ComplaintFactory(client=client_record)
    # 1 recent feedback with their complaints, 2 open complaints with assignees, 3 whether the user
    # may change the client.
    assert feedback_panel_queries(user=owner, client=client_record) == 3
