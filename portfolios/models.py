"""Client assets: accounts at institutions, instruments, holdings, prices and FX,
valuation history, model allocations and rebalance proposals, limits, alerts and goals."""

from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import formats, timezone
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from crm.currencies import currency_code_validate
from crm.history import audited_history
from crm.models import Client
from crm.scales import ProductRiskRating, RiskLevel

MONEY = {"max_digits": 20, "decimal_places": 2}
PERCENT = {"max_digits": 7, "decimal_places": 4}
_percent_range = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]


class AssetClass(models.TextChoices):
    CASH = "cash", _("Cash and deposits")
    FIXED_INCOME = "fixed_income", _("Fixed income")
    EQUITY = "equity", _("Equity")
    FUND = "fund", _("Fund")
    INSURANCE = "insurance", _("Insurance")
    REAL_ESTATE = "real_estate", _("Real estate")
    PHYSICAL = "physical", _("Precious metals and physical assets")
    ALTERNATIVES = "alternatives", _("Alternatives")
    OTHER = "other", _("Other")


class LiquidityTier(models.TextChoices):
    SAME_DAY = "same_day", _("Same day")
    MONTH = "month", _("Within 1 month")
    YEAR = "year", _("Within 1 year")
    OVER_YEAR = "over_year", _("Over 1 year")


class Institution(models.Model):
    """A bank or custodian that holds client accounts."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    is_bank = models.BooleanField(
        _("deposit-taking bank"), default=True, help_text=_("Deposits here count toward the deposit-insurance cover.")
    )

    class Meta:
        verbose_name = _("institution")
        verbose_name_plural = _("institutions")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Account(models.Model):
    class Kind(models.TextChoices):
        DEPOSIT = "deposit", _("Deposit")
        BROKERAGE = "brokerage", _("Brokerage")
        FUND = "fund", _("Fund")
        INSURANCE = "insurance", _("Insurance policy")
        REAL_ESTATE = "real_estate", _("Real estate")
        PHYSICAL = "physical", _("Physical assets")
        OTHER = "other", _("Other")

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="accounts", verbose_name=_("client"))
    kind = models.CharField(_("kind"), max_length=12, choices=Kind)
    institution = models.ForeignKey(
        Institution, on_delete=models.PROTECT, related_name="accounts", verbose_name=_("institution")
    )
    account_number = models.CharField(_("account number"), max_length=64, blank=True)
    name = models.CharField(_("name"), max_length=200, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    opened_on = models.DateField(_("opened on"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    history = audited_history()

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        ordering = ["client", "institution__name", "account_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["institution", "account_number"], condition=~Q(account_number=""),
                name="account_unique_number_per_institution",
            )
        ]

    def __str__(self) -> str:
        return self.label(str(self.institution), self.account_number, self.name)

    @staticmethod
    def label(institution: str, account_number: str, name: str) -> str:
        """How pages and alerts name an account (also from values rows, without an instance)."""
        return f"{institution} {account_number or name}".strip()


class Instrument(models.Model):
    """Something a client can hold: a security, a product, a deposit, a property."""

    code = models.CharField(_("code"), max_length=64, unique=True, help_text=_("ISIN, ticker or product code"))
    name = models.CharField(_("name"), max_length=200)
    asset_class = models.CharField(_("asset class"), max_length=14, choices=AssetClass)
    region = models.CharField(_("region"), max_length=60, blank=True)
    industry = models.CharField(_("industry"), max_length=80, blank=True)
    issuer = models.CharField(_("issuer"), max_length=200, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    liquidity_tier = models.CharField(
        _("liquidity tier"), max_length=10, choices=LiquidityTier, default=LiquidityTier.SAME_DAY
    )
    risk_rating = models.CharField(_("product risk rating"), max_length=2, choices=ProductRiskRating, blank=True)
    history = audited_history()

    class Meta:
        verbose_name = _("instrument")
        verbose_name_plural = _("instruments")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class InstrumentPrice(models.Model):
    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="prices", verbose_name=_("instrument"))
    price_date = models.DateField(_("price date"))
    price = models.DecimalField(_("price"), max_digits=20, decimal_places=6,
                                validators=[MinValueValidator(Decimal("0.000001"))])
    currency = models.CharField(_("currency"), max_length=3)  # checked by instrument_price_record (upper case)
    # Market data moves every holder of the instrument in every team: each change is kept (who, when,
    # old → new), and only administrators and the data desk make them (crm.access.may_edit_market_data).
    history = audited_history()

    class Meta:
        verbose_name = _("instrument price")
        verbose_name_plural = _("instrument prices")
        ordering = ["-price_date"]
        constraints = [
            models.UniqueConstraint(fields=["instrument", "price_date"], name="instrument_price_unique_per_day"),
            # A price of 0 would wipe out every holding of the instrument; no listed product is free.
            models.CheckConstraint(condition=Q(price__gt=0), name="instrument_price_positive",
                                   violation_error_message=_("A price must be above zero.")),
        ]

    def __str__(self) -> str:
        return f"{self.instrument.code} {self.price_date} {self.price} {self.currency}"


class Holding(models.Model):
    """A position in one instrument in one account, valued in the instrument's currency."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="holdings", verbose_name=_("account"))
    instrument = models.ForeignKey(
        Instrument, on_delete=models.PROTECT, related_name="holdings", verbose_name=_("instrument")
    )
    quantity = models.DecimalField(_("quantity"), max_digits=24, decimal_places=6)
    cost = models.DecimalField(_("cost"), **MONEY)
    market_value = models.DecimalField(_("market value"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3)
    valuation_date = models.DateField(_("valuation date"))
    is_illiquid = models.BooleanField(
        _("illiquid"), default=False, help_text=_("Rebalancing never proposes to sell an illiquid holding.")
    )
    stop_loss_price = models.DecimalField(_("stop-loss price"), max_digits=20, decimal_places=6, null=True, blank=True,
                                          validators=[MinValueValidator(Decimal("0.000001"))])
    stop_loss_pct = models.DecimalField(
        _("stop-loss loss %"), **PERCENT, null=True, blank=True, validators=_percent_range,
        help_text=_("Loss against cost, in percent, that triggers the stop-loss."),
    )
    stop_loss_breached = models.BooleanField(_("stop-loss breached"), default=False, editable=False)
    history = audited_history()

    class Meta:
        verbose_name = _("holding")
        verbose_name_plural = _("holdings")
        ordering = ["account", "instrument__code"]
        constraints = [
            models.UniqueConstraint(fields=["account", "instrument"], name="holding_unique_instrument_per_account"),
            models.CheckConstraint(condition=Q(stop_loss_price__isnull=True) | Q(stop_loss_price__gt=0),
                                   name="holding_stop_loss_price_positive",
                                   violation_error_message=_("A stop-loss price must be above zero.")),
        ]

    def __str__(self) -> str:
        return f"{self.instrument.code} × {self.quantity}"


class FxRate(models.Model):
    """On ``rate_date``, one unit of ``currency`` is worth ``rate`` units of ``quote_currency``."""

    currency = models.CharField(_("currency"), max_length=3)
    quote_currency = models.CharField(_("quote currency"), max_length=3, default="CNY")
    rate_date = models.DateField(_("rate date"))
    rate = models.DecimalField(_("rate"), max_digits=20, decimal_places=8)

    class Meta:
        verbose_name = _("FX rate")
        verbose_name_plural = _("FX rates")
        ordering = ["currency", "-rate_date"]
        constraints = [
            models.UniqueConstraint(fields=["currency", "quote_currency", "rate_date"], name="fx_rate_unique_per_day"),
            models.CheckConstraint(condition=Q(rate__gt=0), name="fx_rate_positive"),
        ]

    def __str__(self) -> str:
        return f"1 {self.currency} = {self.rate} {self.quote_currency} ({self.rate_date})"


class ValuationSnapshot(models.Model):
    """A client's AUM on one day, in the base currency, written by every valuation update."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="valuations", verbose_name=_("client"))
    valuation_date = models.DateField(_("valuation date"))
    aum = models.DecimalField(_("AUM"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3)
    by_asset_class = models.JSONField(_("by asset class"), default=dict)

    class Meta:
        verbose_name = _("valuation snapshot")
        verbose_name_plural = _("valuation snapshots")
        ordering = ["client", "valuation_date"]
        constraints = [
            models.UniqueConstraint(fields=["client", "valuation_date"], name="valuation_unique_per_client_day"),
        ]

    def __str__(self) -> str:
        return f"{self.client} {self.valuation_date}: {self.aum} {self.currency}"


class CashFlow(models.Model):
    """Money the client put in (contribution) or took out (withdrawal), on a day, in one currency.

    Flows separate what the client did from what the market did when performance is measured
    (``portfolios.performance``). ``amount`` is always positive; ``kind`` gives the direction.
    ``amount_base`` is the amount in ``base_currency`` at the rate of ``flow_date``, fixed when the
    flow is recorded (``services.cash_flow_record``), so reading performance needs no FX look-ups.
    """

    class Kind(models.TextChoices):
        CONTRIBUTION = "contribution", _("Contribution")
        WITHDRAWAL = "withdrawal", _("Withdrawal")

    class Source(models.TextChoices):
        MANUAL = "manual", _("Entered by hand")
        IMPORT = "import", _("File import")
        API = "api", _("API")

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="cash_flows", verbose_name=_("client"))
    account = models.ForeignKey(Account, on_delete=models.SET_NULL, null=True, blank=True, related_name="cash_flows",
                                verbose_name=_("account"))
    flow_date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=12, choices=Kind)
    amount = models.DecimalField(_("amount"), **MONEY, validators=[MinValueValidator(Decimal("0.01"))])
    currency = models.CharField(_("currency"), max_length=3, validators=[currency_code_validate])
    amount_base = models.DecimalField(_("amount in base currency"), **MONEY, editable=False)
    base_currency = models.CharField(_("base currency"), max_length=3, editable=False)
    note = models.CharField(_("note"), max_length=255, blank=True)
    source = models.CharField(_("source"), max_length=8, choices=Source, default=Source.MANUAL)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("recorded by"))
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now, editable=False)
    history = audited_history()

    class Meta:
        verbose_name = _("cash flow")
        verbose_name_plural = _("cash flows")
        ordering = ["client", "-flow_date", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="cash_flow_amount_positive",
                                   violation_error_message=_("The amount must be above zero.")),
            models.CheckConstraint(condition=Q(amount_base__gte=0), name="cash_flow_amount_base_not_negative"),
        ]
        indexes = [models.Index(fields=["client", "flow_date"], name="cash_flow_client_date_idx")]

    def __str__(self) -> str:
        return f"{self.client} {self.flow_date} {self.get_kind_display()} {self.amount} {self.currency}"

    @property
    def signed_amount_base(self) -> Decimal:
        """In the base currency: positive for a contribution, negative for a withdrawal."""
        return self.amount_base if self.kind == self.Kind.CONTRIBUTION else -self.amount_base


class ModelAllocation(models.Model):
    """A versioned target allocation for one risk level; the newest active version applies."""

    risk_level = models.CharField(_("risk level"), max_length=2, choices=RiskLevel)
    version = models.PositiveIntegerField(_("version"))
    effective_from = models.DateField(_("effective from"), default=timezone.localdate)
    is_active = models.BooleanField(_("active"), default=True)
    notes = models.CharField(_("notes"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    history = audited_history()

    class Meta:
        verbose_name = _("model allocation")
        verbose_name_plural = _("model allocations")
        ordering = ["risk_level", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["risk_level", "version"], name="model_allocation_unique_version"),
        ]

    def __str__(self) -> str:
        return f"{self.risk_level} v{self.version}"


class ModelAllocationWeight(models.Model):
    allocation = models.ForeignKey(
        ModelAllocation, on_delete=models.CASCADE, related_name="weights", verbose_name=_("model allocation")
    )
    asset_class = models.CharField(_("asset class"), max_length=14, choices=AssetClass)
    target_weight = models.DecimalField(_("target weight %"), **PERCENT, validators=_percent_range)
    tolerance = models.DecimalField(
        _("tolerance band ± %"), **PERCENT, validators=_percent_range,
        help_text=_("Percentage points either side of the target."),
    )
    history = audited_history()

    class Meta:
        verbose_name = _("model allocation weight")
        verbose_name_plural = _("model allocation weights")
        ordering = ["allocation", "asset_class"]
        constraints = [
            models.UniqueConstraint(fields=["allocation", "asset_class"], name="model_weight_unique_class"),
        ]

    def __str__(self) -> str:
        return f"{self.get_asset_class_display()} {self.target_weight}% ± {self.tolerance}"


class RebalanceProposal(models.Model):
    """Trades an RM proposes to bring a portfolio back within its bands; nothing is executed."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Saved")
        PRESENTED = "presented", _("Presented to client")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")

    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="rebalance_proposals", verbose_name=_("client")
    )
    allocation = models.ForeignKey(
        ModelAllocation, on_delete=models.PROTECT, related_name="proposals", verbose_name=_("model allocation")
    )
    aum = models.DecimalField(_("AUM"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3)
    minimum_trade = models.DecimalField(_("minimum trade size"), **MONEY)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.DRAFT)
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    status_changed_at = models.DateTimeField(_("status changed at"), default=timezone.now)
    history = audited_history()

    class Meta:
        verbose_name = _("rebalance proposal")
        verbose_name_plural = _("rebalance proposals")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.client} {self.created_at:%Y-%m-%d} ({self.get_status_display()})"


class RebalanceTrade(models.Model):
    class Action(models.TextChoices):
        BUY = "buy", _("Buy")
        SELL = "sell", _("Sell")

    proposal = models.ForeignKey(
        RebalanceProposal, on_delete=models.CASCADE, related_name="trades", verbose_name=_("proposal")
    )
    asset_class = models.CharField(_("asset class"), max_length=14, choices=AssetClass)
    action = models.CharField(_("action"), max_length=4, choices=Action)
    amount = models.DecimalField(_("amount"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3)
    weight_before = models.DecimalField(_("weight before %"), **PERCENT)
    weight_after = models.DecimalField(_("weight after %"), **PERCENT)
    # The product proposed for the line, when the RM names one: its rating decides suitability.
    instrument = models.ForeignKey(
        Instrument, on_delete=models.PROTECT, null=True, blank=True, related_name="rebalance_trades",
        verbose_name=_("product"),
    )

    class Meta:
        verbose_name = _("rebalance trade")
        verbose_name_plural = _("rebalance trades")
        ordering = ["proposal", "action", "asset_class"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="rebalance_trade_amount_positive")]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.get_asset_class_display()} {self.amount} {self.currency}"


class SuitabilityException(models.Model):
    """A documented exception to investor suitability: a product rated above what the client's risk
    level allows, held or proposed anyway, with the reason and the client's acknowledgement.

    Written only by ``services`` (for a flagged holding, or with the rebalance proposal line it
    allows); compliance reads them in admin, nobody changes them. An exception for a holding
    covers it while the product's rating is not above the rating recorded here.
    """

    class Subject(models.TextChoices):
        HOLDING = "holding", _("Holding")
        PROPOSAL = "proposal", _("Rebalance proposal line")

    subject = models.CharField(_("for"), max_length=10, choices=Subject)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="suitability_exceptions",
                               verbose_name=_("client"))
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="suitability_exceptions",
                                   verbose_name=_("product"))
    holding = models.ForeignKey(Holding, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="suitability_exceptions", verbose_name=_("holding"))
    trade = models.OneToOneField(RebalanceTrade, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="suitability_exception", verbose_name=_("proposal line"))
    product_rating = models.CharField(_("product risk rating"), max_length=2, choices=ProductRiskRating)
    client_risk_level = models.CharField(_("client's risk level"), max_length=2, choices=RiskLevel, blank=True)
    client_assessment_valid = models.BooleanField(_("client's assessment valid"))
    reason = models.TextField(_("reason"))
    client_acknowledged = models.BooleanField(_("acknowledged by the client"), default=False)
    client_acknowledged_on = models.DateField(_("acknowledged by the client on"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("recorded by"))
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    history = audited_history()

    class Meta:
        verbose_name = _("suitability exception")
        verbose_name_plural = _("suitability exceptions")
        ordering = ["-recorded_at"]
        constraints = [
            models.CheckConstraint(condition=Q(client_acknowledged=True), name="suitability_exception_acknowledged",
                                   violation_error_message=_("The client must acknowledge the exception.")),
            models.CheckConstraint(condition=~Q(reason=""), name="suitability_exception_has_reason"),
            models.CheckConstraint(
                condition=Q(subject="holding", trade__isnull=True)
                | Q(subject="proposal", trade__isnull=False, holding__isnull=True),
                name="suitability_exception_one_subject"),
        ]

    def __str__(self) -> str:
        return f"{self.client} · {self.instrument.code} {self.product_rating} · {self.recorded_at:%Y-%m-%d}"


class ClientRatedHoldings(models.Model):
    """Per client: how many holdings of its active accounts carry each product rating above R1 and
    no exception covering them (no row: none). Which of them are unsuitable depends on the client's
    level and on today's date (an assessment expires), so readers add the ratings above the client's
    highest suitable one at read time; the book's counts then read a row per client instead of every
    holding. Written only by ``services.client_rated_holdings_refresh``, which the services that add
    holdings or record exceptions call, as do admin's changes of an account or an instrument's rating."""

    client = models.OneToOneField(Client, on_delete=models.CASCADE, primary_key=True,
                                  related_name="rated_holdings", verbose_name=_("client"))
    rated_r2 = models.PositiveIntegerField(_("holdings rated R2"), default=0)
    rated_r3 = models.PositiveIntegerField(_("holdings rated R3"), default=0)
    rated_r4 = models.PositiveIntegerField(_("holdings rated R4"), default=0)
    rated_r5 = models.PositiveIntegerField(_("holdings rated R5"), default=0)

    # The field counting each rating that can be unsuitable (R1 always suits: it is everyone's floor).
    FIELDS = {ProductRiskRating.R2: "rated_r2", ProductRiskRating.R3: "rated_r3",
              ProductRiskRating.R4: "rated_r4", ProductRiskRating.R5: "rated_r5"}

    class Meta:
        verbose_name = _("client's holdings by product rating")
        verbose_name_plural = _("clients' holdings by product rating")

    def __str__(self) -> str:
        return f"{self.client_id}: R2 {self.rated_r2}, R3 {self.rated_r3}, R4 {self.rated_r4}, R5 {self.rated_r5}"


class ConcentrationLimit(models.Model):
    """An admin-set threshold for one kind of concentration risk, for all clients or a segment.

    A rule may be scoped to a risk level (the client's mandate) and/or an AUM tier; blank means
    any. For each kind the most specific rule matching the client wins (both scopes, then risk
    level only, then AUM tier only, then the general rule), so a segment's rule can raise or
    lower the threshold, or switch the check off (``is_active`` unticked) for that segment only.
    """

    class Kind(models.TextChoices):
        SINGLE_HOLDING = "single_holding", _("Single holding, percent of AUM")
        ASSET_CLASS_BAND = "asset_class_band", _("Asset class outside its model band")
        REGION = "region", _("Single region, percent of AUM")
        INDUSTRY = "industry", _("Single industry, percent of AUM")
        ISSUER = "issuer", _("Single issuer, percent of AUM")
        BANK_DEPOSIT = "bank_deposit", _("Deposits at one bank above the insurance cover (amount)")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind)
    risk_level = models.CharField(
        _("for risk level"), max_length=2, choices=RiskLevel, blank=True,
        help_text=_("Only clients of this risk level (mandate); blank for every level."))
    aum_tier = models.CharField(
        _("for AUM tier"), max_length=10, choices=Client.AumTier, blank=True,
        help_text=_("Only clients of this AUM tier; blank for every tier."))
    threshold = models.DecimalField(
        _("threshold"), **MONEY, help_text=_("A percentage of AUM, or an amount in the base currency for deposits.")
    )
    is_active = models.BooleanField(
        _("enabled"), default=True,
        help_text=_("Untick to switch this check off for the clients the rule covers; their open alerts of "
                    "this kind are resolved at the next revaluation."))
    history = audited_history()

    class Meta:
        verbose_name = _("concentration limit")
        verbose_name_plural = _("concentration limits")
        ordering = ["kind", "risk_level", "aum_tier"]
        constraints = [
            models.CheckConstraint(condition=Q(threshold__gte=0), name="concentration_threshold_not_negative"),
            models.UniqueConstraint(fields=["kind", "risk_level", "aum_tier"], name="concentration_limit_one_per_scope",
                                    violation_error_message=_("There is already a rule of this kind for this "
                                                              "risk level and AUM tier.")),
        ]

    def __str__(self) -> str:
        scope = " · ".join(filter(None, [self.get_risk_level_display() if self.risk_level else "",
                                         self.get_aum_tier_display() if self.aum_tier else ""]))
        return f"{self.get_kind_display()}: {self.threshold}" + (f" ({scope})" if scope else "")

    @property
    def specificity(self) -> tuple[bool, bool]:
        """How specific the rule is; the highest matching a client wins."""
        return (bool(self.risk_level) and bool(self.aum_tier), bool(self.risk_level))


class DrawdownLimit(models.Model):
    """A client's maximum drawdown from peak AUM; ``is_breached`` remembers the current crossing."""

    client = models.OneToOneField(
        Client, on_delete=models.CASCADE, related_name="drawdown_limit", verbose_name=_("client")
    )
    max_drawdown_pct = models.DecimalField(_("maximum drawdown %"), **PERCENT, validators=_percent_range)
    is_breached = models.BooleanField(_("breached"), default=False, editable=False)
    history = audited_history()

    class Meta:
        verbose_name = _("drawdown limit")
        verbose_name_plural = _("drawdown limits")

    def __str__(self) -> str:
        return f"{self.client}: {self.max_drawdown_pct}%"


class AlertSeverity(models.IntegerChoices):
    """How urgent an alert is; higher is more urgent (the alerts page sorts by it)."""

    HIGH = 3, _("High")
    MEDIUM = 2, _("Medium")
    LOW = 1, _("Low")


class Alert(models.Model):
    """A risk signal on a client's assets; one open alert per (client, kind, subject).

    Its severity follows from its kind (``SEVERITY_BY_KIND``): a loss already taken (stop-loss,
    drawdown) comes before a concentration that may cause one. Selectors annotate it in SQL
    (``selectors.alert_severity_expression``) so lists filter and sort by it.
    """

    class Kind(models.TextChoices):
        SINGLE_HOLDING = "single_holding", _("Single holding concentration")
        ASSET_CLASS_BAND = "asset_class_band", _("Asset class outside band")
        REGION = "region", _("Region concentration")
        INDUSTRY = "industry", _("Industry concentration")
        ISSUER = "issuer", _("Issuer concentration")
        BANK_DEPOSIT = "bank_deposit", _("Deposits above insurance cover")
        STOP_LOSS = "stop_loss", _("Stop-loss breached")
        DRAWDOWN = "drawdown", _("Maximum drawdown breached")

    SEVERITY_BY_KIND = {
        Kind.STOP_LOSS: AlertSeverity.HIGH,
        Kind.DRAWDOWN: AlertSeverity.HIGH,
        Kind.BANK_DEPOSIT: AlertSeverity.MEDIUM,
        Kind.SINGLE_HOLDING: AlertSeverity.MEDIUM,
        Kind.ISSUER: AlertSeverity.MEDIUM,
        Kind.ASSET_CLASS_BAND: AlertSeverity.LOW,
        Kind.REGION: AlertSeverity.LOW,
        Kind.INDUSTRY: AlertSeverity.LOW,
    }

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="alerts", verbose_name=_("client"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind)
    subject = models.CharField(_("subject"), max_length=200, blank=True, help_text=_("What the alert is about, e.g. a holding or a bank."))
    message = models.CharField(_("message"), max_length=500)
    details = models.JSONField(_("details"), default=dict, blank=True)
    raised_at = models.DateTimeField(_("raised at"), default=timezone.now)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("acknowledged by"),
    )
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)

    history = audited_history()

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-raised_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "kind", "subject"], condition=Q(resolved_at__isnull=True),
                name="alert_one_open_per_subject",
            )
        ]
        indexes = [models.Index(fields=["client", "resolved_at"], name="alert_client_open_idx")]

    def __str__(self) -> str:
        return self.message

    # The message is kept untranslated with its parameters in ``details``, so each reader
    # sees it in their own language; ``message`` holds the English text for search and exports.
    @staticmethod
    def message_details(template: str, params: dict) -> dict:
        return {"message_template": template, "message_params": params}

    @staticmethod
    def message_stored(details: dict) -> str:
        if translation.get_language() == settings.LANGUAGE_CODE:  # e.g. a batch storing many under one override
            return message_render(details["message_template"], details["message_params"])
        with translation.override(settings.LANGUAGE_CODE):
            return message_render(details["message_template"], details["message_params"])

    @property
    def text(self) -> str:
        """The message in the active language, its labels included."""
        template = self.details.get("message_template") if isinstance(self.details, dict) else None
        if not template:
            return self.message
        return message_render(template, self.details["message_params"])

    @property
    def severity_value(self) -> int:
        return getattr(self, "severity", None) or self.SEVERITY_BY_KIND.get(self.kind, AlertSeverity.LOW)

    @property
    def severity_label(self) -> str:
        return AlertSeverity(self.severity_value).label

    @property
    def severity_css(self) -> str:
        return SEVERITY_CSS[self.severity_value]


SEVERITY_CSS = {AlertSeverity.HIGH: "danger", AlertSeverity.MEDIUM: "warning", AlertSeverity.LOW: "info"}


# Message parameters that are labels (an asset class, a region, an industry, an issuer, a bank)
# rather than numbers or codes: the reader's language shows them translated where the catalogue can.
TRANSLATED_PARAMS = ("label", "subject", "bank")


# Message parameters that are amounts of money (stored as plain decimal strings): shown grouped the
# reader's way (3,727,000.01), as every other amount on the pages.
AMOUNT_PARAMS = ("amount", "cover")


def message_render(template: str, params: dict) -> str:
    """An alert or breach message (untranslated template and its parameters) in the active language."""
    params = dict(params)
    for key in TRANSLATED_PARAMS:
        if isinstance(params.get(key), str) and params[key]:
            params[key] = label_translate(params[key])
    for key in AMOUNT_PARAMS:
        if isinstance(params.get(key), str):
            try:
                params[key] = formats.number_format(Decimal(params[key]), 2, use_l10n=True, force_grouping=True)
            except InvalidOperation:
                pass  # not a number after all: shown as stored
    return gettext(template) % params


_ASSET_CLASS_CODES = frozenset(AssetClass.values)  # AssetClass.values builds a list on each use


def label_translate(value: str) -> str:
    """A stored English label (an asset class, a region, …) in the active language; an asset
    class stored by its code shows its label; what the catalogue does not know stays as it is."""
    if value in _ASSET_CLASS_CODES:
        return str(AssetClass(value).label)
    return gettext(value)


class Goal(models.Model):
    class Kind(models.TextChoices):
        RETIREMENT = "retirement", _("Retirement")
        EDUCATION = "education", _("Education")
        PROPERTY = "property", _("Property")
        EMERGENCY_RESERVE = "emergency_reserve", _("Emergency reserve")
        OTHER = "other", _("Other")

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="goals", verbose_name=_("client"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind)
    name = models.CharField(_("name"), max_length=200)
    target_amount = models.DecimalField(_("target amount"), **MONEY, validators=[MinValueValidator(Decimal("0.01"))])
    currency = models.CharField(_("currency"), max_length=3, default="CNY", validators=[currency_code_validate])
    target_date = models.DateField(_("target date"))
    linked_accounts = models.ManyToManyField(Account, related_name="goals", blank=True, verbose_name=_("linked accounts"))
    funded_amount = models.DecimalField(
        _("current funding"), **MONEY, default=Decimal("0"), validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Used when no accounts are linked."),
    )
    expected_return_pct = models.DecimalField(
        _("expected annual return %"), **PERCENT, default=Decimal("0"),
        validators=[MinValueValidator(Decimal("-100")), MaxValueValidator(Decimal("100"))],
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    history = audited_history()

    class Meta:
        verbose_name = _("goal")
        verbose_name_plural = _("goals")
        ordering = ["target_date"]
        constraints = [
            models.CheckConstraint(condition=Q(target_amount__gt=0), name="goal_target_positive",
                                   violation_error_message=_("The target amount must be above zero.")),
            models.CheckConstraint(condition=Q(funded_amount__gte=0), name="goal_funding_not_negative",
                                   violation_error_message=_("The current funding cannot be negative.")),
        ]

    def __str__(self) -> str:
        return self.name


class ValuationRun(models.Model):
    """The daily revaluation of one day: its checkpoint (the last client id whose batch
    committed) to resume from after a crash, and its progress, for administrators."""

    valuation_date = models.DateField(_("valuation date"), unique=True)
    clients_total = models.PositiveIntegerField(_("clients to value"), default=0)
    clients_done = models.PositiveIntegerField(_("clients valued"), default=0)
    clients_failed = models.PositiveIntegerField(_("clients not valued"), default=0)
    last_client_id = models.BigIntegerField(_("last client id done"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("valuation run")
        verbose_name_plural = _("valuation runs")
        ordering = ["-valuation_date"]

    def __str__(self) -> str:
        return f"{self.valuation_date}: {self.clients_done}/{self.clients_total}"
