"""The questionnaire a client completes through a signed link, without an account: single use,
expiring, CSRF-protected, rate-limited, and a clear page with nothing saved for a bad link."""

from datetime import timedelta

import pytest
from django.test import Client as BrowserClient
from django.urls import reverse
from django.utils import timezone

from crm.models import PublicLink
from risk import services, views
from risk.models import Assessment

from .conftest import answers_for, answers_scoring, form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def link(standard, client_record, owner):
    """(link, URL) of a fresh questionnaire link for the owner's client."""
    public_link, token = services.assessment_link_issue(client=client_record, issued_by=owner)
    return public_link, reverse("risk:questionnaire", args=[token])


def test_the_rm_issues_a_link_and_sees_it_once(client, owner, client_record, standard):
    client.force_login(owner)

    response = client.post(reverse("risk:link-issue", args=[client_record.pk]))

    assert response.status_code == 200
    link = PublicLink.objects.get(client=client_record)
    assert link.purpose == "risk-questionnaire" and link.payload == {"version": standard.pk}
    assert link.expires_at - link.issued_at == timedelta(days=7)
    url = response.context["url"]
    assert url.startswith("http://testserver/risk/q/") and url in response.content.decode()


def test_an_rm_who_does_not_serve_the_client_cannot_issue_a_link(client, outsider, client_record, standard):
    client.force_login(outsider)

    assert client.post(reverse("risk:link-issue", args=[client_record.pk])).status_code == 404
    assert not PublicLink.objects.exists()


def test_the_client_opens_the_questionnaire_without_an_account_in_chinese(client, link):
    response = client.get(link[1], HTTP_ACCEPT_LANGUAGE="zh-CN")

    page = response.content.decode()
    assert response.status_code == 200
    assert "标准风险承受能力评估问卷" in page and "您的年龄是？" in page
    assert "Zhang Wei" not in page and "Z**" in page  # enough of the name to recognise it, no more
    assert 'name="csrfmiddlewaretoken"' in page
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_the_client_completes_it_and_the_level_is_the_clients_at_once(client, link, standard, client_record):
    public_link, url = link

    response = client.post(url, form_data(answers_scoring(standard, 4)), HTTP_ACCEPT_LANGUAGE="zh-CN")

    assert response.status_code == 200 and "C5 进取型" in response.content.decode()  # 40 points
    assessment = Assessment.objects.get()
    assert (assessment.channel, assessment.link, assessment.recorded_by) == ("link", public_link, None)
    assert assessment.language == "zh-hans"
    public_link.refresh_from_db()
    assert public_link.used_at is not None
    client_record.refresh_from_db()
    assert (client_record.risk_level, client_record.risk_level_basis) == ("C5", "assessment")


def test_a_used_link_says_so_and_saves_nothing(client, link, standard):
    url = link[1]
    client.post(url, form_data(answers_scoring(standard, 4)))

    replay = client.post(url, form_data(answers_scoring(standard, 1)))
    reopened = client.get(url)

    assert replay.status_code == 410 and "already been used" in replay.content.decode()
    assert reopened.status_code == 410
    assert Assessment.objects.get().level == "C5"


def test_an_expired_link_says_so_and_saves_nothing(client, link, standard, client_record):
    public_link, url = link
    PublicLink.objects.filter(pk=public_link.pk).update(issued_at=timezone.now() - timedelta(days=8),
                                                        expires_at=timezone.now() - timedelta(days=1))

    opened = client.get(url)
    posted = client.post(url, form_data(answers_scoring(standard, 4)))

    assert opened.status_code == 410 and "This link has expired" in opened.content.decode()
    assert posted.status_code == 410
    assert not Assessment.objects.exists()
    client_record.refresh_from_db()
    assert client_record.risk_level == ""


def test_a_tampered_link_is_not_found(client, link):
    url = link[1]
    response = client.get(url.replace("/q/", "/q/x"))

    assert response.status_code == 404 and "not valid" in response.content.decode()


def test_an_incomplete_form_shows_what_is_missing_and_keeps_the_link_usable(client, link, standard):
    public_link, url = link
    answers = answers_scoring(standard, 2)
    answers.pop(standard.questions.all()[0].pk)

    response = client.post(url, form_data(answers))

    assert response.status_code == 200 and "Please choose an answer." in response.content.decode()
    assert not Assessment.objects.exists()
    public_link.refresh_from_db()
    assert public_link.used_at is None


def test_it_never_shows_what_was_posted_unescaped(client, link, standard):
    data = form_data(answers_scoring(standard, 2))
    data[next(iter(data))] = "<script>alert(1)</script>"

    response = client.post(link[1], data)

    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.content.decode()
    assert not Assessment.objects.exists()


def test_a_post_without_the_csrf_token_is_refused(link, standard):
    browser = BrowserClient(enforce_csrf_checks=True)

    response = browser.post(link[1], form_data(answers_scoring(standard, 2)))

    assert response.status_code == 403
    assert not Assessment.objects.exists()


def test_submissions_are_limited_per_link(client, link, standard, settings):
    url = link[1]
    incomplete = {}  # each attempt fails validation, so only the limit stops them
    statuses = [client.post(url, incomplete).status_code for _attempt in range(views.SUBMISSIONS_PER_LINK + 1)]

    assert statuses == [200] * views.SUBMISSIONS_PER_LINK + [429]
    refused = client.post(url, form_data(answers_scoring(standard, 3)))
    assert refused.status_code == 429 and not Assessment.objects.exists()


def test_submissions_are_limited_per_address(client, standard, client_record, owner):
    urls = []
    for _n in range(views.SUBMISSIONS_PER_ADDRESS // views.SUBMISSIONS_PER_LINK + 1):
        _link, token = services.assessment_link_issue(client=client_record, issued_by=owner)
        urls.append(reverse("risk:questionnaire", args=[token]))
    statuses = [client.post(url, {}).status_code for url in urls for _attempt in range(views.SUBMISSIONS_PER_LINK)]

    assert statuses[:views.SUBMISSIONS_PER_ADDRESS] == [200] * views.SUBMISSIONS_PER_ADDRESS
    assert set(statuses[views.SUBMISSIONS_PER_ADDRESS:]) == {429}
    other_address = client.post(urls[-1], {}, REMOTE_ADDR="10.0.0.9")
    assert other_address.status_code == 200


def test_the_answers_chosen_are_kept_when_the_form_comes_back(client, link, standard):
    answers = answers_for(standard, horizon="over_5")
    horizon = next(q for q in standard.questions.all() if q.key == "horizon")
    answers.pop(standard.questions.all()[0].pk)

    page = client.post(link[1], form_data(answers)).content.decode()

    assert f'value="{answers[horizon.pk]}" class="form-check-input flex-shrink-0 mt-1" id' in page
    assert "checked" in page
