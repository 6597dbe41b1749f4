"""Risk scales: the client's tolerance C1–C5 (on the client record) and a product's rating R1–R5.

They live in crm, the ground floor, because the client record carries the level; the risk
app's assessments set it and portfolios rates products with the R scale."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class RiskLevel(models.TextChoices):
    """A client's risk tolerance, from the latest valid assessment."""

    C1 = "C1", _("C1 conservative")
    C2 = "C2", _("C2 moderately conservative")
    C3 = "C3", _("C3 balanced")
    C4 = "C4", _("C4 growth")
    C5 = "C5", _("C5 aggressive")


class RiskBasis(models.TextChoices):
    """Where a client's recorded risk level comes from."""

    ASSESSMENT = "assessment", _("Questionnaire assessment")
    RECORDED = "recorded", _("Recorded without an assessment")


class ProductRiskRating(models.TextChoices):
    """A product's risk rating, matched against the client's level for suitability."""

    R1 = "R1", _("R1 low")
    R2 = "R2", _("R2 medium-low")
    R3 = "R3", _("R3 medium")
    R4 = "R4", _("R4 medium-high")
    R5 = "R5", _("R5 high")


# The highest product rating each tolerance may hold without a documented exception.
_HIGHEST_RATING = dict(zip(RiskLevel.values, ProductRiskRating.values))


def rating_highest_suitable(*, level: str, assessment_valid: bool) -> str:
    """The highest product rating suitable for a client: R1..R5 for C1..C5 while a questionnaire
    assessment is valid; only R1 for a client with an expired, missing or unassessed level."""
    if not assessment_valid or level not in _HIGHEST_RATING:
        return ProductRiskRating.R1
    return _HIGHEST_RATING[level]


def rating_suitable(*, rating: str, level: str, assessment_valid: bool) -> bool:
    """Whether a product rated ``rating`` suits the client without an exception (unrated: suitable)."""
    if not rating:
        return True
    return rating <= rating_highest_suitable(level=level, assessment_valid=assessment_valid)
