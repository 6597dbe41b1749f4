"""The public feedback form a client opens from a signed link: answers saved against the client and
the RM, bad/expired/used links refused with a clear page, CSRF, rate limits, escaping, lengths."""

from datetime import timedelta

import pytest
from django.test import Client as BrowserClient
from django.urls import reverse
from django.utils import timezone

from communications.models import Complaint, ComplaintEvent, Feedback, FeedbackSettings
from crm.models import PublicLink

from .feedback_factories import token_issue

pytestmark = pytest.mark.django_db

ANSWERS = {"nps": "9", "csat": "4", "comments": "Helpful and quick."}


@pytest.fixture
def token(client_record, owner):
    return token_issue(client_record, owner)


def form_url(token: str) -> str:
    return reverse("communications:feedback-form", kwargs={"token": token})


def test_it_opens_without_signing_in_and_names_the_rm(client, token):
    response = client.get(form_url(token))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Olivia Owner" in page
    assert 'name="nps"' in page and 'name="csat"' in page and 'name="is_complaint"' in page
    assert "csrfmiddlewaretoken" in page


def test_it_saves_the_answers_against_the_client_and_the_rm(client, token, client_record, owner):
    response = client.post(form_url(token), ANSWERS)

    assert response.status_code == 302
    assert response.url == reverse("communications:feedback-thanks")
    feedback = Feedback.objects.get()
    assert (feedback.client, feedback.manager, feedback.nps, feedback.csat) == (client_record, owner, 9, 4)
    assert feedback.comments == "Helpful and quick."
    assert feedback.aum_tier == client_record.aum_tier
    assert feedback.is_complaint is False and not Complaint.objects.exists()
    assert feedback.link.used_at is not None and feedback.submitted_at == feedback.link.used_at
    assert client.get(response.url).status_code == 200


def test_it_raises_a_complaint_assigned_to_the_primary_rm_and_due_after_the_sla(client, token, client_record, owner):
    FeedbackSettings.objects.filter(pk=1).update(complaint_sla_days=7)

    response = client.post(form_url(token), {"nps": "2", "comments": "Nobody called me back.", "is_complaint": "on"})

    assert response.status_code == 302
    complaint = Complaint.objects.get()
    assert complaint.feedback == Feedback.objects.get()
    assert (complaint.client, complaint.assignee, complaint.status) == (client_record, owner, Complaint.Status.OPEN)
    assert complaint.description == "Nobody called me back."
    assert complaint.due_on == timezone.localdate() + timedelta(days=7)
    event = ComplaintEvent.objects.get()
    assert (event.from_status, event.to_status, event.actor) == ("", Complaint.Status.OPEN, None)


def test_a_complaint_needs_words_and_saves_nothing_without_them(client, token):
    response = client.post(form_url(token), {"nps": "2", "is_complaint": "on"})

    assert response.status_code == 200
    assert "Tell us what went wrong" in response.content.decode()
    assert not Feedback.objects.exists() and not Complaint.objects.exists()
    assert PublicLink.objects.get().used_at is None


def test_it_refuses_an_empty_form(client, token):
    response = client.post(form_url(token), {})
    assert response.status_code == 200
    assert "Please answer at least one question" in response.content.decode()
    assert not Feedback.objects.exists()


@pytest.mark.parametrize("field,value", [("nps", "11"), ("nps", "-1"), ("csat", "0"), ("csat", "6")])
def test_it_refuses_scores_out_of_range(client, token, field, value):
    response = client.post(form_url(token), {field: value, "comments": "x"})
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert not Feedback.objects.exists()


def test_it_says_clearly_when_the_comments_are_too_long_and_saves_nothing(client, token):
    response = client.post(form_url(token), {"nps": "8", "comments": "x" * 2001})

    assert response.status_code == 200
    assert "Ensure this value has at most 2000 characters (it has 2001)." in response.content.decode()
    assert not Feedback.objects.exists()
    assert PublicLink.objects.get().used_at is None


def test_nothing_a_client_types_is_rendered_unescaped(client, token, client_record, owner):
    attack = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    # Re-shown in the form after an error ...
    response = client.post(form_url(token), {"comments": attack * 200, "is_complaint": "on"})
    assert response.status_code == 200
    assert "<script>alert" not in response.content.decode()
    assert "&lt;script&gt;alert" in response.content.decode()
    # ... and on every staff page that shows it.
    client.post(form_url(token), {"nps": "0", "comments": attack, "is_complaint": "on"})
    complaint = Complaint.objects.get()
    client.force_login(owner)
    for url in (reverse("crm:client-detail", args=[client_record.pk]),
                reverse("communications:complaint-detail", args=[complaint.pk]),
                reverse("communications:complaint-list")):
        page = client.get(url).content.decode()
        assert "<script>alert" not in page and "<img src=x" not in page, url
        assert "&lt;script&gt;alert" in page, url


def test_a_used_link_shows_a_clear_page_and_saves_nothing_more(client, token):
    client.post(form_url(token), ANSWERS)

    for response in (client.get(form_url(token)), client.post(form_url(token), {"nps": "0", "comments": "again"})):
        assert response.status_code == 410
        assert "already been used" in response.content.decode()
    assert Feedback.objects.count() == 1
    assert Feedback.objects.get().nps == 9


def test_an_expired_link_shows_a_clear_page_and_saves_nothing(client, token):
    PublicLink.objects.update(issued_at=timezone.now() - timedelta(days=30),
                              expires_at=timezone.now() - timedelta(minutes=1))

    response = client.post(form_url(token), ANSWERS)

    assert response.status_code == 410
    assert "has expired" in response.content.decode()
    assert not Feedback.objects.exists()


@pytest.mark.parametrize("bad", ["not-a-token", "x" * 80])
def test_a_bad_link_is_not_found_with_a_clear_page(client, token, bad):
    response = client.post(form_url(bad), ANSWERS)
    assert response.status_code == 404
    assert "This link is not valid" in response.content.decode()
    assert not Feedback.objects.exists()


def test_a_tampered_link_is_not_found(client, token):
    tampered = token[:-3] + ("abc" if not token.endswith("abc") else "xyz")
    assert client.get(form_url(tampered)).status_code == 404


def test_a_link_for_another_form_does_not_open_this_one(client, client_record, owner):
    from crm.public_links import public_link_issue

    _link, other = public_link_issue(client=client_record, purpose="risk-questionnaire", issued_by=owner,
                                     valid_for=timedelta(days=1))
    assert client.get(form_url(other)).status_code == 404


def test_it_refuses_a_post_without_the_csrf_token(token):
    browser = BrowserClient(enforce_csrf_checks=True)
    response = browser.post(form_url(token), ANSWERS)
    assert response.status_code == 403
    assert not Feedback.objects.exists()

    page = browser.get(form_url(token))
    response = browser.post(form_url(token), ANSWERS | {"csrfmiddlewaretoken": page.context["csrf_token"]})
    assert response.status_code == 302
    assert Feedback.objects.count() == 1


def test_it_limits_sends_per_address(client, client_record, owner):
    tokens = [token_issue(client_record, owner) for _ in range(11)]
    # Ten sends an hour from one address (errors count too); the eleventh is refused, even on a fresh link.
    for token in tokens[:10]:
        assert client.post(form_url(token), {"nps": "99"}).status_code == 200
    response = client.post(form_url(tokens[10]), ANSWERS)

    assert response.status_code == 429
    assert "too many attempts" in response.content.decode()
    assert not Feedback.objects.exists()
    # Another address is not held up.
    assert client.post(form_url(tokens[10]), ANSWERS, REMOTE_ADDR="10.9.8.7").status_code == 302


def test_it_limits_sends_per_link_whatever_the_address(client, token):
    for n in range(5):
        assert client.post(form_url(token), {"nps": "99"}, REMOTE_ADDR=f"10.0.0.{n}").status_code == 200
    response = client.post(form_url(token), ANSWERS, REMOTE_ADDR="10.0.0.99")

    assert response.status_code == 429
    assert not Feedback.objects.exists()


def test_it_limits_how_often_one_address_opens_the_page(client, token):
    for _ in range(60):
        client.get(form_url(token))
    assert client.get(form_url(token)).status_code == 429


def test_it_speaks_chinese_when_the_client_chooses_it(client, token):
    client.post(reverse("set_language"), {"language": "zh-hans", "next": form_url(token)})
    response = client.get(form_url(token))
    assert response.status_code == 200
    assert "发送反馈" in response.content.decode()
    client.post(form_url(token), ANSWERS)
    assert Feedback.objects.get().language == "zh-hans"


@pytest.mark.parametrize("fields", [{"nps": 11}, {"csat": 0}, {"csat": 6}, {}])
def test_the_database_refuses_scores_out_of_range_and_empty_answers(client_record, fields):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Feedback.objects.create(client=client_record, **fields)


def test_the_database_refuses_a_second_answer_on_one_link(client, token, client_record):
    from django.db import IntegrityError, transaction

    client.post(form_url(token), ANSWERS)
    with pytest.raises(IntegrityError), transaction.atomic():
        Feedback.objects.create(client=client_record, nps=1, link=Feedback.objects.get().link)
