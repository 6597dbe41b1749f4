"""Fixtures of the risk tests: the standard questionnaire the data migration ships, and answers to it."""

import pytest

from risk import selectors


@pytest.fixture
def standard(db):
    """Version 1 of the standard questionnaire, published by risk's data migration, with its content."""
    return selectors.questionnaire_version_current()


def answers_for(version, **choices) -> dict[int, int]:
    """Question id → option id: the option keyed ``choices[question key]``, else the question's lowest-scoring one."""
    answers = {}
    for question in version.questions.all():
        options = {option.key: option for option in question.options.all()}
        key = choices.get(question.key)
        answers[question.pk] = (options[key] if key else min(options.values(), key=lambda o: o.score)).pk
    return answers


def answers_scoring(version, rank: int) -> dict[int, int]:
    """Every question answered with its ``rank``-th lowest-scoring option (1: lowest), or its highest if it has fewer."""
    answers = {}
    for question in version.questions.all():
        options = sorted(question.options.all(), key=lambda option: option.score)
        answers[question.pk] = options[min(rank, len(options)) - 1].pk
    return answers


def form_data(answers: dict[int, int]) -> dict[str, str]:
    """The POST of the questionnaire form for ``answers``."""
    return {f"q{question_id}": str(option_id) for question_id, option_id in answers.items()}
