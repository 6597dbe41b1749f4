"""Scoring and band mapping of the standard questionnaire, and the consistency flags."""

import pytest
from django.core.exceptions import ValidationError

from risk import selectors
from risk.models import ScoreBand

from .conftest import answers_for, answers_scoring

pytestmark = pytest.mark.django_db


def options_of(version, answers):
    by_id = {option.pk: option for question in version.questions.all() for option in question.options.all()}
    return {question_id: by_id[option_id] for question_id, option_id in answers.items()}


def result(version, answers):
    return selectors.assessment_result(version=version, options=options_of(version, answers))


def test_it_ships_ten_questions_in_english_and_chinese(standard):
    questions = list(standard.questions.all())
    assert len(questions) == 10
    assert {q.key for q in questions} >= {"age", "income", "share_of_assets", "experience", "horizon", "objective",
                                           "loss_reaction", "liquidity", "knowledge"}
    assert all(q.text_en and q.text_zh and q.text_en != q.text_zh for q in questions)
    assert all(o.text_en and o.text_zh for q in questions for o in q.options.all())


def test_it_scores_the_sum_of_the_chosen_options(standard):
    lowest, highest = selectors.score_range(standard)
    assert (lowest, highest) == (10, 44)
    assert result(standard, answers_scoring(standard, 1)).score == 10
    assert result(standard, answers_scoring(standard, 9)).score == 44
    chosen = answers_for(standard, age="30_45", experience="over_10")  # 5 + 5, every other answer scores 1
    assert result(standard, chosen).score == 18


@pytest.mark.parametrize("score, level", [
    (10, "C1"), (16, "C1"), (17, "C2"), (23, "C2"), (24, "C3"), (30, "C3"), (31, "C4"), (37, "C4"), (38, "C5"),
    (44, "C5"),
])
def test_it_maps_each_band_edge_to_its_level(standard, score, level):
    # Raise the total from the all-lowest 10 one point at a time, question by question.
    answers, extra = answers_scoring(standard, 1), score - 10
    for question in standard.questions.all():
        options = list(question.options.all())
        step = min(extra, len(options) - 1)
        by_score = sorted(options, key=lambda option: option.score)
        answers[question.pk] = by_score[step].pk
        extra -= by_score[step].score - by_score[0].score
    assert extra == 0
    outcome = result(standard, answers)
    assert (outcome.score, outcome.level) == (score, level)


def test_it_refuses_a_score_no_band_covers(standard):
    # Bands that leave the lowest score uncovered (changed behind the services' back: publishing refuses them).
    ScoreBand.objects.filter(version=standard, level="C1").update(min_score=11)
    version = selectors.version_get(pk=standard.pk)
    with pytest.raises(ValidationError, match="No score band"):
        result(version, answers_scoring(version, 1))


def test_it_flags_contradictory_answers(standard):
    outcome = result(standard, answers_for(standard, horizon="under_1", objective="growth"))
    assert [rule.message_en for rule in outcome.flagged_rules] == [
        "The horizon is under one year, but the objective is long-term growth."]


def test_it_flags_nothing_for_consistent_answers(standard):
    consistent = answers_for(standard, horizon="over_5", objective="growth", liquidity="none")
    assert result(standard, consistent).flagged_rules == ()
