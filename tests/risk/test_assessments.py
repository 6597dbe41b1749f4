"""Completing an assessment: what it stores, how it sets the client's level, validity and expiry."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from crm.scales import RiskBasis
from risk import selectors, services
from risk.models import Assessment, QuestionnaireVersion

from .conftest import answers_for, answers_scoring

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def complete(version, client, user, answers=None, **options):
    return services.assessment_complete(client=client, version=version, channel="rm", recorded_by=user,
                                        answers=answers or answers_scoring(version, 3), **options)


def test_it_stores_answers_score_level_version_who_and_when(standard, client_record, owner):
    assessment = complete(standard, client_record, owner, language="zh-hans")

    assessment.refresh_from_db()
    assert (assessment.score, assessment.level, assessment.version) == (30, "C3", standard)  # the third-lowest answer, scoring 3, ten times
    assert assessment.recorded_by == owner and assessment.channel == "rm" and assessment.language == "zh-hans"
    assert assessment.answers.count() == 10
    assert assessment.valid_until == services.valid_until_for(completed_on=timezone.localdate(), validity_months=12)


def test_it_makes_the_level_the_clients_current_one_valid_for_twelve_months(standard, client_record, owner):
    client_record.risk_level, client_record.risk_level_basis = "C5", RiskBasis.RECORDED
    client_record.save(update_fields=["risk_level", "risk_level_basis"])
    completed_at = datetime(2026, 1, 15, 10, 0, tzinfo=SHANGHAI)

    complete(standard, client_record, owner, answers=answers_scoring(standard, 1), completed_at=completed_at)

    client_record.refresh_from_db()
    assert (client_record.risk_level, client_record.risk_level_basis) == ("C1", RiskBasis.ASSESSMENT)
    assert client_record.risk_assessed_on == date(2026, 1, 15)
    assert client_record.risk_valid_until == date(2027, 1, 14)
    assert client_record.risk_assessment_valid(date(2027, 1, 14))
    assert not client_record.risk_assessment_valid(date(2027, 1, 15))


def test_an_expired_assessment_keeps_its_level_marked_expired(standard, client_record, owner):
    complete(standard, client_record, owner, completed_at=timezone.now() - timedelta(days=400))

    client_record.refresh_from_db()
    assert client_record.risk_level == "C3"
    assert client_record.risk_assessment_expired and not client_record.risk_assessment_valid()


def test_the_validity_comes_from_the_version(standard, client_record, owner):
    QuestionnaireVersion.objects.filter(pk=standard.pk).update(validity_months=6)  # as if published so
    completed_at = datetime(2026, 8, 31, 9, 0, tzinfo=SHANGHAI)

    assessment = complete(selectors.version_get(pk=standard.pk), client_record, owner, completed_at=completed_at)

    assert assessment.valid_until == date(2027, 2, 27)  # 28 February is six months on; valid through the day before


@pytest.mark.parametrize("day, months, expected", [
    (date(2026, 1, 31), 1, date(2026, 2, 28)), (date(2028, 1, 31), 1, date(2028, 2, 29)),
    (date(2026, 11, 30), 3, date(2027, 2, 28)), (date(2026, 6, 15), 12, date(2027, 6, 15)),
])
def test_it_counts_months_to_the_same_day_or_the_months_last(day, months, expected):
    assert services.months_later(day, months) == expected


def test_an_older_assessment_recorded_later_does_not_replace_the_current_level(standard, client_record, owner):
    complete(standard, client_record, owner, answers=answers_scoring(standard, 4))
    complete(standard, client_record, owner, answers=answers_scoring(standard, 1),
             completed_at=timezone.now() - timedelta(days=30))

    client_record.refresh_from_db()
    assert client_record.risk_level == "C5"
    assert Assessment.objects.filter(client=client_record).count() == 2


def test_it_saves_the_contradictions_for_the_rm(standard, client_record, owner):
    assessment = complete(standard, client_record, owner,
                          answers=answers_for(standard, horizon="under_1", objective="growth"))

    assert [rule.message_en for rule in assessment.flagged_rules.all()] == [
        "The horizon is under one year, but the objective is long-term growth."]


def test_it_refuses_an_unanswered_question_and_saves_nothing(standard, client_record, owner):
    answers = answers_scoring(standard, 2)
    answers.pop(standard.questions.all()[3].pk)

    with pytest.raises(ValidationError, match="answer every question"):
        complete(standard, client_record, owner, answers=answers)
    assert not Assessment.objects.exists()
    client_record.refresh_from_db()
    assert client_record.risk_level == ""


def test_it_refuses_an_option_of_another_question(standard, client_record, owner):
    answers = answers_scoring(standard, 2)
    first, second = standard.questions.all()[:2]
    answers[first.pk] = second.options.all()[0].pk

    with pytest.raises(ValidationError, match="does not belong"):
        complete(standard, client_record, owner, answers=answers)
    assert not Assessment.objects.exists()


def test_it_refuses_a_draft_version(standard, client_record, owner):
    draft = services.questionnaire_version_copy(version=standard)

    with pytest.raises(ValidationError, match="published"):
        complete(draft, client_record, owner, answers=answers_scoring(draft, 2))


def test_the_database_refuses_a_link_assessment_without_its_link(standard, client_record, owner):
    assessment = complete(standard, client_record, owner)
    with pytest.raises(IntegrityError), transaction.atomic():
        Assessment.objects.filter(pk=assessment.pk).update(channel="link")


def test_the_database_refuses_two_answers_to_one_question(standard, client_record, owner):
    assessment = complete(standard, client_record, owner)
    answer = assessment.answers.all()[0]
    with pytest.raises(IntegrityError), transaction.atomic():
        assessment.answers.create(question=answer.question, option=answer.option)
