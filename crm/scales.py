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


class ProductRiskRating(models.TextChoices):
    """A product's risk rating, matched against the client's level for suitability."""

    R1 = "R1", _("R1 low")
    R2 = "R2", _("R2 medium-low")
    R3 = "R3", _("R3 medium")
    R4 = "R4", _("R4 medium-high")
    R5 = "R5", _("R5 high")
