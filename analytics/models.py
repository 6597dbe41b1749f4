"""Client value: fee rates, recorded revenue and costs, referrals, prospect estimates, the settings
of the lifetime-value calculation and each client's stored result.

Money is ``Decimal`` with a currency code; the calculation converts every amount to the base
currency with portfolios' FX rates (see ``analytics.selectors``). Records an RM enters are audited
(simple-history); the stored ``ClientValue`` is a recomputed cache and is not.
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _gettext
from django.utils.translation import gettext_lazy as _

from communications.models.settings_row import SettingsRow
from crm.currencies import currency_code_validate
from crm.history import audited_history
from crm.models import Client
from portfolios.models import AssetClass

MONEY = {"max_digits": 20, "decimal_places": 2}
_positive = [MinValueValidator(Decimal("0.01"))]
_not_negative = [MinValueValidator(Decimal("0"))]
# Records lie in a year between the bank's founding era and the current one (checked by the forms).
YEAR_MIN = 1990


def year_not_in_future(value: int) -> None:
    if value > timezone.localdate().year:
        raise ValidationError(_("The year %(year)s has not begun yet."), code="future", params={"year": value})
    if value < YEAR_MIN:
        raise ValidationError(_("The year must be %(min)s or later."), code="too_early", params={"min": YEAR_MIN})


class ValueSettings(SettingsRow):
    """The one row of lifetime-value settings an administrator edits (a data migration creates it)."""

    discount_rate_pct = models.DecimalField(
        _("discount rate (%)"), max_digits=6, decimal_places=3, default=Decimal("8"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text=_("i in the formulas: the yearly rate future contributions are discounted at."))
    default_lifetime_years = models.DecimalField(
        _("default lifetime (years)"), max_digits=6, decimal_places=2, default=Decimal("10"),
        validators=[MinValueValidator(Decimal("0.5")), MaxValueValidator(Decimal("100"))],
        help_text=_("T when a segment lost no clients in the years looked at (churn 0 or unknown)."))
    max_lifetime_years = models.DecimalField(
        _("longest lifetime (years)"), max_digits=6, decimal_places=2, default=Decimal("30"),
        validators=[MinValueValidator(Decimal("0.5")), MaxValueValidator(Decimal("100"))],
        help_text=_("T is never longer than this, however low the churn."))
    history_years = models.PositiveSmallIntegerField(
        _("years of history used"), default=3, validators=[MinValueValidator(1), MaxValueValidator(10)],
        help_text=_("The last this many full calendar years give the churn rate and the yearly contribution "
                    "projected forward."))
    history = audited_history()

    class Meta:
        verbose_name = _("client value settings")
        verbose_name_plural = _("client value settings")
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="value_settings_single_row"),
            models.CheckConstraint(condition=Q(discount_rate_pct__gte=0, discount_rate_pct__lte=100),
                                   name="value_settings_discount_rate_range"),
            models.CheckConstraint(condition=Q(default_lifetime_years__gt=0, max_lifetime_years__gt=0),
                                   name="value_settings_lifetimes_positive"),
            models.CheckConstraint(condition=Q(history_years__gte=1, history_years__lte=10),
                                   name="value_settings_history_years_range"),
        ]

    def __str__(self) -> str:
        return str(_gettext("Client value settings"))


class FeeRate(models.Model):
    """The yearly fee the bank earns on assets of one class, as a percentage of their value."""

    asset_class = models.CharField(_("asset class"), max_length=14, choices=AssetClass, unique=True)
    rate_pct = models.DecimalField(
        _("yearly fee (%)"), max_digits=7, decimal_places=4,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))])
    history = audited_history()

    class Meta:
        verbose_name = _("fee rate")
        verbose_name_plural = _("fee rates")
        ordering = ["asset_class"]
        constraints = [models.CheckConstraint(condition=Q(rate_pct__gte=0, rate_pct__lte=100),
                                              name="fee_rate_range")]

    def __str__(self) -> str:
        return f"{self.get_asset_class_display()}: {self.rate_pct} %"


class YearAmount(models.Model):
    """An amount of money about one client (the subclass's ``client``) in one calendar year."""

    year = models.PositiveSmallIntegerField(_("year"), validators=[year_not_in_future])
    amount = models.DecimalField(_("amount"), **MONEY, validators=_positive)
    currency = models.CharField(_("currency"), max_length=3, default="CNY", validators=[currency_code_validate])
    description = models.CharField(_("description"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+",
                                    verbose_name=_("recorded by"))
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        abstract = True


class RevenueRecord(YearAmount):
    """Revenue from a client other than fees on assets (commissions, interest margin, service charges)."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="revenue_records",
                               verbose_name=_("client"))
    history = audited_history()

    class Meta:
        verbose_name = _("other revenue")
        verbose_name_plural = _("other revenue")
        ordering = ["-year", "-recorded_at"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="revenue_record_amount_positive")]
        indexes = [models.Index(fields=["client", "year"], name="revenue_client_year_idx")]

    def __str__(self) -> str:
        return f"{self.client} {self.year}: {self.amount} {self.currency}"


class CostRecord(YearAmount):
    """What serving a client cost in a year, by kind."""

    class Kind(models.TextChoices):
        ACQUISITION = "acquisition", _("Acquisition and development")
        SERVICING = "servicing", _("Servicing")
        PRICE_CONCESSION = "price_concession", _("Price concession")
        OTHER = "other", _("Other")

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="cost_records",
                               verbose_name=_("client"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind)
    history = audited_history()

    class Meta:
        verbose_name = _("cost")
        verbose_name_plural = _("costs")
        ordering = ["-year", "kind", "-recorded_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="cost_record_amount_positive"),
            models.CheckConstraint(condition=~Q(kind="other") | ~Q(description=""),
                                   name="cost_record_other_described",
                                   violation_error_message=_("Say what an “other” cost was.")),
        ]
        indexes = [models.Index(fields=["client", "year"], name="cost_client_year_idx")]

    def __str__(self) -> str:
        return f"{self.client} {self.year} {self.get_kind_display()}: {self.amount} {self.currency}"


class Referral(models.Model):
    """One client brought another: the referral's value counts for the referrer in its year."""

    referrer = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="referrals_made",
                                 verbose_name=_("referred by"))
    referred = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="referrals_received",
                                 verbose_name=_("referred client"))
    referred_on = models.DateField(_("referred on"))
    value = models.DecimalField(_("referral value"), **MONEY, validators=_not_negative,
                                help_text=_("What the bank gains from the introduction, counted once."))
    currency = models.CharField(_("currency"), max_length=3, default="CNY", validators=[currency_code_validate])
    note = models.CharField(_("note"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+",
                                    verbose_name=_("recorded by"))
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    history = audited_history()

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["-referred_on", "-id"]
        constraints = [
            # A client is introduced to the bank once.
            models.UniqueConstraint(fields=["referred"], name="referral_one_per_referred_client",
                                    violation_error_message=_("This client's referral is already recorded.")),
            models.CheckConstraint(condition=~Q(referrer=F("referred")), name="referral_not_self",
                                   violation_error_message=_("A client cannot refer themselves.")),
            models.CheckConstraint(condition=Q(value__gte=0), name="referral_value_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.referrer} → {self.referred}"


class ProspectEstimate(models.Model):
    """The RM's estimate for a client with no history: Q = P × K × M × N a year."""

    client = models.OneToOneField(Client, on_delete=models.CASCADE, related_name="prospect_estimate",
                                  verbose_name=_("client"))
    purchase_amount = models.DecimalField(_("purchase amount per transaction (P)"), **MONEY, validators=_positive)
    currency = models.CharField(_("currency"), max_length=3, default="CNY", validators=[currency_code_validate])
    wallet_share_pct = models.DecimalField(
        _("share of wallet won (K, %)"), max_digits=6, decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("100"))])
    margin_pct = models.DecimalField(
        _("contribution margin (M, %)"), max_digits=6, decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("100"))])
    transactions_per_year = models.DecimalField(
        _("transactions per year (N)"), max_digits=8, decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("10000"))])
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+",
                                    verbose_name=_("recorded by"))
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    history = audited_history()

    class Meta:
        verbose_name = _("prospect estimate")
        verbose_name_plural = _("prospect estimates")
        constraints = [
            models.CheckConstraint(condition=Q(purchase_amount__gt=0), name="prospect_purchase_positive"),
            models.CheckConstraint(condition=Q(wallet_share_pct__gt=0, wallet_share_pct__lte=100),
                                   name="prospect_wallet_share_range"),
            models.CheckConstraint(condition=Q(margin_pct__gt=0, margin_pct__lte=100), name="prospect_margin_range"),
            models.CheckConstraint(condition=Q(transactions_per_year__gt=0), name="prospect_transactions_positive"),
        ]

    def __str__(self) -> str:
        return str(self.client)


class ClientValue(models.Model):
    """A client's lifetime value as last computed by ``client_values_recompute`` (a cache lists sort by)."""

    client = models.OneToOneField(Client, on_delete=models.CASCADE, related_name="lifetime_value",
                                  verbose_name=_("client"))
    clv = models.DecimalField(_("lifetime value"), **MONEY)
    yearly_contribution = models.DecimalField(_("yearly contribution (Q)"), **MONEY)
    yearly_cost = models.DecimalField(_("yearly cost (C)"), **MONEY)
    lifetime_years = models.DecimalField(_("remaining lifetime (T, years)"), max_digits=7, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    method = models.CharField(_("method"), max_length=10)  # "history", "prospect" or "ended"
    inputs = models.JSONField(_("inputs"), default=dict, blank=True)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("client lifetime value")
        verbose_name_plural = _("client lifetime values")
        indexes = [models.Index(fields=["clv"], name="client_value_clv_idx")]

    def __str__(self) -> str:
        return f"{self.client_id}: {self.clv} {self.currency}"


class Opportunity(models.Model):
    """A product the RM hopes to sell a client (cross-sell), tracked through its stages to won or lost."""

    class Stage(models.TextChoices):
        IDENTIFIED = "identified", _("Identified")
        PROPOSED = "proposed", _("Proposed")
        NEGOTIATING = "negotiating", _("Negotiating")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")

    OPEN = (Stage.IDENTIFIED, Stage.PROPOSED, Stage.NEGOTIATING)
    FINAL = (Stage.WON, Stage.LOST)

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="opportunities",
                               verbose_name=_("client"))
    product = models.CharField(_("product"), max_length=120, help_text=_("e.g. Balanced fund, term deposit."))
    amount = models.DecimalField(_("amount"), **MONEY, validators=_positive)
    currency = models.CharField(_("currency"), max_length=3, default="CNY", validators=[currency_code_validate])
    stage = models.CharField(_("stage"), max_length=12, choices=Stage, default=Stage.IDENTIFIED)
    expected_close_on = models.DateField(_("expected close"))
    notes = models.CharField(_("notes"), max_length=500, blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+",
                              verbose_name=_("recorded by"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    stage_changed_at = models.DateTimeField(_("stage changed at"), default=timezone.now)
    stage_changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                         related_name="+", verbose_name=_("stage changed by"))
    history = audited_history()

    class Meta:
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        ordering = ["expected_close_on", "-id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="opportunity_amount_positive")]
        indexes = [models.Index(fields=["client", "stage"], name="opportunity_client_stage_idx"),
                   models.Index(fields=["stage", "expected_close_on"], name="opportunity_stage_close_idx")]

    def __str__(self) -> str:
        return f"{self.client}: {self.product} ({self.get_stage_display()})"

    @property
    def is_open(self) -> bool:
        return self.stage in self.OPEN
