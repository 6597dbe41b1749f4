"""The RM's risk pages: the client page's risk panel and level markers, the client's risk history,
assessing with the client, an assessment's answers, and who sees what."""

from datetime import timedelta

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm import panels
from crm.roles import user_roles
from crm.scales import RiskBasis
from crm.services import client_risk_level_set
from risk import services
from risk.models import Assessment, RecordedLevel
from tests.panels import panel_html

from .conftest import answers_for, answers_scoring, form_data

pytestmark = pytest.mark.django_db


def assess(version, client_record, user, rank=3, **options):
    return services.assessment_complete(client=client_record, version=version, channel="rm", recorded_by=user,
                                        answers=answers_scoring(version, rank), **options)


def test_the_rm_assesses_with_the_client_and_the_page_and_list_show_the_level_at_once(
        client, owner, client_record, standard):
    client.force_login(owner)
    form = client.get(reverse("risk:assess", args=[client_record.pk]))
    assert form.status_code == 200 and "What is your age?" in form.content.decode()

    response = client.post(reverse("risk:assess", args=[client_record.pk]), form_data(answers_scoring(standard, 2)))

    assert response.status_code == 302 and response.url == reverse("crm:client-detail", args=[client_record.pk])
    assessment = Assessment.objects.get()
    assert (assessment.level, assessment.recorded_by, assessment.channel) == ("C2", owner, "rm")
    detail = client.get(response.url).content.decode()
    listing = client.get(reverse("crm:client-list")).content.decode()
    assert 'data-state="valid">C2 moderately conservative' in detail
    assert 'data-state="valid">C2 moderately conservative' in listing


def test_an_incomplete_assessment_is_shown_again_with_nothing_saved(client, owner, client_record, standard):
    client.force_login(owner)
    answers = answers_scoring(standard, 2)
    answers.pop(standard.questions.all()[2].pk)

    response = client.post(reverse("risk:assess", args=[client_record.pk]), form_data(answers))

    assert response.status_code == 200 and "Please choose an answer." in response.content.decode()
    assert not Assessment.objects.exists()


def test_compliance_reads_the_risk_history_but_cannot_assess(client, compliance, client_record, standard):
    client.force_login(compliance)

    history = client.get(reverse("risk:client", args=[client_record.pk]))
    assess_page = client.get(reverse("risk:assess", args=[client_record.pk]))

    assert history.status_code == 200 and reverse("risk:assess", args=[client_record.pk]) not in (
        history.content.decode())
    assert assess_page.status_code == 404


def test_an_outsider_sees_no_risk_page_of_the_client(client, outsider, owner, client_record, standard):
    assessment = assess(standard, client_record, owner)
    client.force_login(outsider)

    for url in (reverse("risk:client", args=[client_record.pk]), reverse("risk:assess", args=[client_record.pk]),
                reverse("risk:assessment-detail", args=[assessment.pk])):
        assert client.get(url).status_code == 404


@pytest.mark.parametrize("state, expected", [
    ("valid", "C3 balanced"), ("expired", "C3 balanced · <span class=\"badge text-bg-danger\">expired</span>"),
    ("recorded", "C3 balanced · <small class=\"text-secondary\">recorded without an assessment, 2024-03-01"),
    ("none", "Not assessed"),
])
def test_the_client_page_and_list_mark_how_the_level_stands(client, owner, client_record, standard, state, expected):
    if state in ("valid", "expired"):
        assess(standard, client_record, owner,
               completed_at=timezone.now() - timedelta(days=400 if state == "expired" else 10))
    elif state == "recorded":
        client_risk_level_set(client=client_record, level="C3", basis=RiskBasis.RECORDED,
                              assessed_on=timezone.datetime(2024, 3, 1).date())
    client.force_login(owner)

    detail = client.get(reverse("crm:client-detail", args=[client_record.pk])).content.decode()
    listing = client.get(reverse("crm:client-list")).content.decode()

    assert f'data-state="{state}"' in detail and f'data-state="{state}"' in listing
    assert expected in detail


def test_the_risk_panel_shows_contradictions_a_waiting_link_and_the_actions(owner, client_record, standard):
    services.assessment_complete(client=client_record, version=standard, channel="rm", recorded_by=owner,
                                 answers=answers_for(standard, horizon="under_1", objective="growth"))
    services.assessment_link_issue(client=client_record, issued_by=owner)
    client_record.refresh_from_db()

    html = panel_html(panels.CLIENT_SIDE, "risk", user=owner, client=client_record)

    assert "The horizon is under one year, but the objective is long-term growth." in html
    assert 'data-testid="risk-pending-link"' in html
    assert 'data-testid="risk-assess"' in html and 'data-testid="risk-send-link"' in html


def test_the_risk_panel_offers_no_actions_to_compliance(compliance, client_record, standard):
    html = panel_html(panels.CLIENT_SIDE, "risk", user=compliance, client=client_record)

    assert "Not assessed" in html and 'data-testid="risk-assess"' not in html


def test_the_risk_panel_costs_four_queries_whatever_the_history(owner, client_record, standard):
    for days in range(5):
        assess(standard, client_record, owner, completed_at=timezone.now() - timedelta(days=days + 1))
    risk_panel = next(panel for panel in panels.registered(panels.CLIENT_SIDE) if panel.key == "risk")
    request = RequestFactory().get("/")
    request.user = owner
    user_roles(owner)
    # The latest assessment, its flagged rules, a link waiting for the client, whether the user may assess.
    with CaptureQueriesContext(connection) as queries:
        # (rendered without the request: the page's context processors are the page's queries, not the panel's)
        render_to_string(risk_panel.template, risk_panel.context(request=request, client=client_record))
    assert len(queries) == 4

    # On the client page, whether the user may edit comes from the page (crm.panels' ``known``): three.
    with CaptureQueriesContext(connection) as queries:
        html = render_to_string(risk_panel.template, risk_panel.context(request=request, client=client_record,
                                                                        may_edit=True))
    assert len(queries) == 3
    assert reverse("risk:assess", args=[client_record.pk]) in html


def test_the_history_lists_assessments_recorded_levels_and_links(client, owner, client_record, standard):
    RecordedLevel.objects.create(client=client_record, level="C4", recorded_on=timezone.localdate() - timedelta(
        days=900), note="Recorded before risk questionnaires")
    assess(standard, client_record, owner, completed_at=timezone.now() - timedelta(days=500))
    assess(standard, client_record, owner, rank=2)
    services.assessment_link_issue(client=client_record, issued_by=owner)
    client.force_login(owner)

    response = client.get(reverse("risk:client", args=[client_record.pk]))

    assert response.status_code == 200
    assert len(response.context["assessments"]) == 2 and len(response.context["links"]) == 1
    page = response.content.decode()
    assert "C4 growth" in page and "Recorded before risk questionnaires" in page
    assert page.count("badge text-bg-danger\">expired") == 1


def test_the_assessment_page_shows_every_answer_in_the_users_language(client, owner, client_record, standard):
    assessment = assess(standard, client_record, owner)
    client.force_login(owner)
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})

    response = client.get(reverse("risk:assessment-detail", args=[assessment.pk]))

    page = response.content.decode()
    assert response.status_code == 200
    assert "您的年龄是？" in page and "46至55岁" in page
    assert len(response.context["answers"]) == 10


def test_a_team_lead_sees_the_team_clients_assessment_and_not_another_teams(
        client, team_lead, other_lead, owner, client_record, standard):
    assessment = assess(standard, client_record, owner)
    url = reverse("risk:assessment-detail", args=[assessment.pk])

    client.force_login(team_lead)
    assert client.get(url).status_code == 200
    client.force_login(other_lead)
    assert client.get(url).status_code == 404
