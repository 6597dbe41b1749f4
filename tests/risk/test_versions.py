"""Questionnaire versions: publishing checks completeness, a published version never changes,
and editing means copying it into a new draft; in admin as well as in the services."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from risk import selectors, services
from risk.models import Assessment, ConsistencyRule, Option, Question, QuestionnaireVersion, ScoreBand

from .conftest import answers_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(standard):
    return services.questionnaire_version_copy(version=standard)


def test_it_copies_a_version_into_the_next_draft_with_the_same_content(standard, draft):
    assert (draft.number, draft.status, draft.published_at) == (2, "draft", None)
    copy = selectors.version_get(pk=draft.pk)
    assert [(q.key, q.text_zh, [(o.key, o.score) for o in q.options.all()]) for q in copy.questions.all()] == [
        (q.key, q.text_zh, [(o.key, o.score) for o in q.options.all()]) for q in standard.questions.all()]
    assert [(b.level, b.min_score, b.max_score) for b in copy.bands.all()] == [
        (b.level, b.min_score, b.max_score) for b in standard.bands.all()]
    rules = list(copy.rules.all())
    assert len(rules) == len(standard.rules.all())
    assert all(rule.first_option.question.version_id == draft.pk for rule in rules)


def test_a_published_version_refuses_changes_to_its_parts(standard):
    question = standard.questions.all()[0]
    option = question.options.all()[0]
    band = standard.bands.all()[0]
    question.text_en = "Changed"
    option.score = 99
    band.max_score = 20
    for part in (question, option, band, standard):
        with pytest.raises(ValidationError, match="published"):
            part.full_clean()
    with pytest.raises(ValidationError, match="published"):
        Question(version=standard, position=99, key="new", text_en="New", text_zh="新").full_clean()


def test_a_draft_can_be_edited_and_published_and_then_becomes_current(standard, draft):
    option = Option.objects.get(question__version=draft, question__key="age", key="under_30")
    option.score = 5
    option.full_clean()
    option.save()

    published = services.questionnaire_version_publish(version=draft)

    assert published.is_published and published.published_at is not None
    assert selectors.questionnaire_version_current() == published
    assert Option.objects.get(question__version=standard, question__key="age", key="under_30").score == 4


def test_publishing_refuses_bands_with_a_gap(draft):
    ScoreBand.objects.filter(version=draft, level="C3").update(min_score=25)

    with pytest.raises(ValidationError, match="C2 and C3 must meet"):
        services.questionnaire_version_publish(version=draft)
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_publishing_refuses_a_missing_level_or_bands_not_covering_every_score(draft):
    ScoreBand.objects.filter(version=draft, level="C5").delete()
    with pytest.raises(ValidationError, match="exactly one score band"):
        services.questionnaire_version_publish(version=draft)
    ScoreBand.objects.create(version=draft, level="C5", min_score=38, max_score=40)
    with pytest.raises(ValidationError, match="cover every possible score, 10 to 44"):
        services.questionnaire_version_publish(version=draft)


def test_publishing_refuses_a_question_with_one_option(draft):
    question = Question.objects.get(version=draft, key="age")
    ConsistencyRule.objects.filter(version=draft).delete()
    Option.objects.filter(question=question).exclude(key="30_45").delete()
    with pytest.raises(ValidationError, match="age needs at least two"):
        services.questionnaire_version_publish(version=draft)


def test_a_version_cannot_be_published_twice(standard):
    with pytest.raises(ValidationError, match="already published"):
        services.questionnaire_version_publish(version=standard)


def test_old_assessments_keep_the_version_they_answered(standard, draft, client_record, owner):
    assessment = services.assessment_complete(client=client_record, version=standard, channel="rm",
                                              answers=answers_for(standard), recorded_by=owner)
    services.questionnaire_version_publish(version=draft)

    assessment.refresh_from_db()
    assert assessment.version == standard
    assert {answer.option.question.version_id for answer in assessment.answers.all()} == {standard.pk}


def test_admin_shows_a_published_version_read_only_and_refuses_to_change_it(client, administrator, standard):
    client.force_login(administrator)
    url = reverse("admin:risk_questionnaireversion_change", args=[standard.pk])

    page = client.get(url)
    refused = client.post(url, {"validity_months": "6", "intro_en": "Changed", "intro_zh": "改"})

    assert page.status_code == 200 and 'name="validity_months"' not in page.content.decode()
    assert refused.status_code == 403
    standard.refresh_from_db()
    assert standard.validity_months == 12
    question = standard.questions.all()[0]
    question_page = client.get(reverse("admin:risk_question_change", args=[question.pk]))
    assert question_page.status_code == 200 and 'name="options-0-score"' not in question_page.content.decode()


def test_admin_copies_a_version_and_publishes_the_draft(client, administrator, standard):
    client.force_login(administrator)
    changelist = reverse("admin:risk_questionnaireversion_changelist")

    client.post(changelist, {"action": "copy_as_new_version", "_selected_action": [standard.pk]})
    draft = QuestionnaireVersion.objects.get(number=2)
    edit = client.get(reverse("admin:risk_questionnaireversion_change", args=[draft.pk]))
    client.post(changelist, {"action": "publish", "_selected_action": [draft.pk]})

    assert edit.status_code == 200 and 'name="validity_months"' in edit.content.decode()
    draft.refresh_from_db()
    assert draft.is_published


def test_compliance_reads_questionnaires_and_assessments_in_admin_but_changes_nothing(
        client, compliance, standard, client_record, owner):
    assessment = services.assessment_complete(client=client_record, version=standard, channel="rm",
                                              answers=answers_for(standard), recorded_by=owner)
    client.force_login(compliance)

    assert client.get(reverse("admin:risk_questionnaireversion_changelist")).status_code == 200
    assert client.get(reverse("admin:risk_assessment_change", args=[assessment.pk])).status_code == 200
    response = client.post(reverse("admin:risk_questionnaireversion_changelist"),
                           {"action": "copy_as_new_version", "_selected_action": [standard.pk]})
    assert response.status_code in (200, 302)
    assert QuestionnaireVersion.objects.count() == 1
    assert Assessment.objects.count() == 1
