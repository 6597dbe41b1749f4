"""The client registry: staff, teams, clients, RM assignments, lifecycle and households."""

from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dataimport.models import ImportUpload

from .history import audited_history
from .scales import RiskBasis, RiskLevel


# Free text a user types or imports (notes, addresses) is bounded: a 5 MB notes field is an
# accident or an attack, never a note.
TEXT_MAX_LENGTH = 5000


def choice_label(choices: type[models.Choices], value) -> str:
    """The label of ``value`` among ``choices`` in the active language (the value itself when unknown),
    as ``get_FOO_display`` gives it. Django's builds and hashes a dict of every choice's lazy label on
    each call, one gettext per choice: the client list asked it ten times a row."""
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def date_not_in_future(value) -> None:
    """A date of birth or incorporation, or of a KYC check, cannot lie ahead (a field validator, so the
    form, the import, the admin and every service refuse it alike)."""
    if value and value > timezone.localdate():
        raise ValidationError(_("The date %(date)s is in the future."), code="future",
                              params={"date": value.isoformat()})


class User(AbstractUser):
    """A member of staff; what they may do comes from their groups (see crm.roles)."""

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff members")
        ordering = ["first_name", "last_name", "username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class Team(models.Model):
    """A team of relationship managers run by a team lead."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="led_teams", verbose_name=_("team lead")
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="teams", blank=True, verbose_name=_("relationship managers")
    )
    history = audited_history(m2m_fields=[members])

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=50, unique=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Client(models.Model):
    """One person or company, one record: the registry every other app reads."""

    class Kind(models.TextChoices):
        INDIVIDUAL = "individual", _("Individual")
        CORPORATE = "corporate", _("Corporate")

    class IdType(models.TextChoices):
        RESIDENT_ID = "resident_id", _("Resident identity card")
        PASSPORT = "passport", _("Passport")
        HK_MACAO_PERMIT = "hk_macao_permit", _("Mainland travel permit for Hong Kong and Macao residents")
        TAIWAN_PERMIT = "taiwan_permit", _("Mainland travel permit for Taiwan residents")
        FOREIGN_PERMANENT_RESIDENT = "foreign_pr", _("Foreign permanent resident ID card")
        CREDIT_CODE = "credit_code", _("Unified social credit code")
        OTHER = "other", _("Other")

    class IncomeBand(models.TextChoices):
        BELOW_200K = "lt_200k", _("Below 200,000")
        FROM_200K = "200k_500k", _("200,000 – 500,000")
        FROM_500K = "500k_1m", _("500,000 – 1,000,000")
        FROM_1M = "1m_5m", _("1,000,000 – 5,000,000")
        ABOVE_5M = "gt_5m", _("Above 5,000,000")

    class KycStatus(models.TextChoices):
        PENDING = "pending", _("Pending")
        VERIFIED = "verified", _("Verified")
        EXPIRED = "expired", _("Expired")
        REJECTED = "rejected", _("Rejected")

    class InvestmentPreference(models.TextChoices):
        DEPOSITS = "deposits", _("Deposits and wealth management products")
        FIXED_INCOME = "fixed_income", _("Fixed income")
        FUNDS = "funds", _("Funds")
        EQUITIES = "equities", _("Equities")
        INSURANCE = "insurance", _("Insurance")
        REAL_ESTATE = "real_estate", _("Real estate")
        ALTERNATIVES = "alternatives", _("Alternatives")
        MIXED = "mixed", _("Mixed")

    class InvestmentGoal(models.TextChoices):
        RETIREMENT = "retirement", _("Retirement")
        EDUCATION = "education", _("Education")
        PROPERTY = "property", _("Property purchase")
        EMERGENCY_RESERVE = "emergency_reserve", _("Emergency reserve")
        WEALTH_GROWTH = "wealth_growth", _("Wealth growth")

    class LiquidityNeed(models.TextChoices):
        HIGH = "high", _("High")
        MEDIUM = "medium", _("Medium")
        LOW = "low", _("Low")

    class ReturnExpectation(models.TextChoices):
        STABLE = "stable", _("Stable")
        MEDIUM = "medium", _("Medium")
        HIGH = "high", _("High risk, high return")

    class LifecycleStage(models.TextChoices):
        POTENTIAL = "potential", _("Potential")
        DEVELOPMENT = "development", _("Development")
        GROWTH = "growth", _("Growth")
        MATURITY = "maturity", _("Maturity")
        DECLINE = "decline", _("Decline")
        TERMINATION = "termination", _("Termination")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        INACTIVE = "inactive", _("Inactive")
        MERGED = "merged", _("Merged into another record")

    class AumTier(models.TextChoices):
        HNW = "hnw", _("High net worth")
        AFFLUENT = "affluent", _("Mass affluent")
        MASS = "mass", _("Mass")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind, default=Kind.INDIVIDUAL)
    legal_name = models.CharField(_("legal name"), max_length=200, db_index=True)
    preferred_name = models.CharField(_("preferred name"), max_length=200, blank=True)
    id_type = models.CharField(_("ID document type"), max_length=20, choices=IdType, default=IdType.RESIDENT_ID)
    id_number = models.CharField(_("ID document number"), max_length=64, blank=True, db_index=True)
    birth_date = models.DateField(_("date of birth / incorporation"), null=True, blank=True,
                                  validators=[date_not_in_future])
    phone = models.CharField(_("phone"), max_length=32, blank=True, db_index=True, help_text=_("E.164, e.g. +8613800138000"))
    email = models.EmailField(_("e-mail"), blank=True, db_index=True)
    address = models.TextField(_("address"), blank=True, max_length=TEXT_MAX_LENGTH,
                               validators=[MaxLengthValidator(TEXT_MAX_LENGTH)])
    occupation = models.CharField(_("occupation"), max_length=120, blank=True)
    industry = models.CharField(_("industry"), max_length=120, blank=True)
    income_band = models.CharField(_("income band"), max_length=12, choices=IncomeBand, blank=True)
    source_of_funds = models.CharField(_("source of funds"), max_length=200, blank=True)
    kyc_status = models.CharField(_("KYC status"), max_length=10, choices=KycStatus, default=KycStatus.PENDING)
    kyc_date = models.DateField(_("KYC date"), null=True, blank=True, validators=[date_not_in_future])
    investment_preference = models.CharField(
        _("investment preference"), max_length=20, choices=InvestmentPreference, blank=True
    )
    investment_goal = models.CharField(_("investment goal"), max_length=20, choices=InvestmentGoal, blank=True)
    liquidity_need = models.CharField(_("liquidity need"), max_length=10, choices=LiquidityNeed, blank=True)
    return_expectation = models.CharField(
        _("return expectation"), max_length=10, choices=ReturnExpectation, blank=True
    )
    tags = models.ManyToManyField(Tag, related_name="clients", blank=True, verbose_name=_("tags"))
    notes = models.TextField(_("notes"), blank=True, max_length=TEXT_MAX_LENGTH,
                             validators=[MaxLengthValidator(TEXT_MAX_LENGTH)])
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.ACTIVE, db_index=True)
    lifecycle_stage = models.CharField(
        _("lifecycle stage"), max_length=12, choices=LifecycleStage, default=LifecycleStage.POTENTIAL, db_index=True
    )
    # Denormalised from the open primary Assignment, kept in step only by
    # crm.services.assignment_transfer, so lists filter and sort without a join.
    primary_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="primary_clients",
        verbose_name=_("primary relationship manager"),
    )
    # Segmentation caches, recomputed by services when holdings or assessments change.
    aum_total = models.DecimalField(_("assets under management"), max_digits=20, decimal_places=2, default=Decimal("0"))
    aum_currency = models.CharField(_("AUM currency"), max_length=3, default="CNY")
    aum_tier = models.CharField(_("AUM tier"), max_length=10, choices=AumTier, default=AumTier.MASS, db_index=True)
    risk_level = models.CharField(_("risk level"), max_length=2, choices=RiskLevel, blank=True, db_index=True)
    # Set only by crm.services.client_risk_level_set (the risk app's assessments call it).
    risk_level_basis = models.CharField(_("risk level basis"), max_length=12, choices=RiskBasis, blank=True)
    risk_assessed_on = models.DateField(_("risk level recorded on"), null=True, blank=True)
    risk_valid_until = models.DateField(_("risk assessment valid until"), null=True, blank=True, db_index=True)
    merged_into = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="merged_records",
        verbose_name=_("merged into"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("created by"),
    )
    # Tags too: every history row keeps the client's tags as they were (HistoricalClient_tags).
    history = audited_history(excluded_fields=["updated_at"], m2m_fields=[tags])

    class Meta:
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        ordering = ["legal_name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["id_type", "id_number"], condition=~Q(id_number=""), name="client_unique_id_document",
                violation_error_message=_("A client with this ID document is already registered."),
            ),
        ]
        indexes = [
            models.Index(fields=["primary_manager", "legal_name"], name="client_manager_name_idx"),
            models.Index(fields=["aum_total"], name="client_aum_idx"),
            # The import's duplicate search compares e-mails case-insensitively (crm.imports.matching).
            models.Index(Lower("email"), name="client_email_lower_idx"),
        ]

    def __str__(self) -> str:
        return self.legal_name

    def risk_assessment_valid(self, on_date=None) -> bool:
        """A questionnaire assessment that has not expired; a level recorded without one never counts."""
        on_date = on_date or timezone.localdate()
        return (self.risk_level_basis == RiskBasis.ASSESSMENT and self.risk_valid_until is not None
                and self.risk_valid_until >= on_date)

    @property
    def risk_assessment_expired(self) -> bool:
        return (self.risk_level_basis == RiskBasis.ASSESSMENT and self.risk_valid_until is not None
                and self.risk_valid_until < timezone.localdate())

    # The labels the client list shows on every row, without Django's per-call dict (choice_label).
    def get_aum_tier_display(self) -> str:
        return choice_label(self.AumTier, self.aum_tier)

    def get_lifecycle_stage_display(self) -> str:
        return choice_label(self.LifecycleStage, self.lifecycle_stage)

    def get_risk_level_display(self) -> str:
        return choice_label(RiskLevel, self.risk_level)

    def get_status_display(self) -> str:
        return choice_label(self.Status, self.status)

    @property
    def display_name(self) -> str:
        if self.preferred_name and self.preferred_name != self.legal_name:
            return f"{self.legal_name} ({self.preferred_name})"
        return self.legal_name


class Assignment(models.Model):
    """A dated period in which a staff member serves a client, as primary or backup RM."""

    class Role(models.TextChoices):
        PRIMARY = "primary", _("Primary")
        BACKUP = "backup", _("Backup")

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="assignments", verbose_name=_("client"))
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assignments",
        verbose_name=_("relationship manager"),
    )
    role = models.CharField(_("role"), max_length=10, choices=Role, default=Role.PRIMARY)
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("assigned by"),
    )
    history = audited_history()

    class Meta:
        verbose_name = _("RM assignment")
        verbose_name_plural = _("RM assignments")
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["client"], condition=Q(role="primary", ended_at__isnull=True),
                name="assignment_one_open_primary_per_client",
            ),
            models.UniqueConstraint(
                fields=["client", "manager"], condition=Q(ended_at__isnull=True),
                name="assignment_one_open_per_client_manager",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                name="assignment_ends_after_start",
            ),
        ]
        indexes = [
            models.Index(fields=["manager", "ended_at"], name="assignment_manager_open_idx"),
            # The access rule's "open backup RM of" arm on every RM page: read from the index alone
            # (the wide index above visits every assignment row of the RM on the heap).
            models.Index(fields=["manager", "client"], condition=Q(role="backup", ended_at__isnull=True),
                         name="assignment_open_backup_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.client} – {self.manager} ({self.get_role_display()})"

    @property
    def is_open(self) -> bool:
        return self.ended_at is None


class LifecycleTransition(models.Model):
    """One recorded move of a client from one lifecycle stage to another."""

    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="lifecycle_transitions", verbose_name=_("client")
    )
    from_stage = models.CharField(_("from"), max_length=12, choices=Client.LifecycleStage, blank=True)
    to_stage = models.CharField(_("to"), max_length=12, choices=Client.LifecycleStage)
    reason = models.CharField(_("reason"), max_length=255)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+", verbose_name=_("changed by")
    )
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)

    class Meta:
        verbose_name = _("lifecycle transition")
        verbose_name_plural = _("lifecycle transitions")
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.client}: {self.from_stage or '–'} → {self.to_stage}"


class Household(models.Model):
    """A relationship group (family, company and owner) whose assets are seen together."""

    name = models.CharField(_("name"), max_length=200)
    notes = models.TextField(_("notes"), blank=True, max_length=TEXT_MAX_LENGTH,
                             validators=[MaxLengthValidator(TEXT_MAX_LENGTH)])
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    history = audited_history()

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class HouseholdMember(models.Model):
    class Relationship(models.TextChoices):
        HEAD = "head", _("Head of household")
        SPOUSE = "spouse", _("Spouse")
        CHILD = "child", _("Child")
        PARENT = "parent", _("Parent")
        COMPANY_OWNER = "company_owner", _("Company owner")
        COMPANY = "company", _("Owned company")
        OTHER = "other", _("Other")

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="members", verbose_name=_("household"))
    client = models.OneToOneField(
        Client, on_delete=models.CASCADE, related_name="household_membership", verbose_name=_("client")
    )
    relationship = models.CharField(_("relationship"), max_length=20, choices=Relationship, default=Relationship.OTHER)
    history = audited_history()

    class Meta:
        verbose_name = _("household member")
        verbose_name_plural = _("household members")
        ordering = ["household", "relationship"]

    def __str__(self) -> str:
        return f"{self.client} ({self.get_relationship_display()}) – {self.household}"


class AumTierThreshold(models.Model):
    """The minimum AUM, in the base currency, for a client to fall into a tier; edited by admins."""

    tier = models.CharField(_("tier"), max_length=10, choices=Client.AumTier, unique=True)
    minimum_aum = models.DecimalField(_("minimum AUM"), max_digits=20, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    history = audited_history()

    class Meta:
        verbose_name = _("AUM tier threshold")
        verbose_name_plural = _("AUM tier thresholds")
        ordering = ["-minimum_aum"]
        constraints = [models.CheckConstraint(condition=Q(minimum_aum__gte=0), name="aum_tier_minimum_not_negative")]

    def __str__(self) -> str:
        return f"{self.get_tier_display()} ≥ {self.minimum_aum} {self.currency}"


class SavedFilter(models.Model):
    """A client-list filter an RM named and reuses."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_filters", verbose_name=_("owner")
    )
    name = models.CharField(_("name"), max_length=100)
    query_string = models.CharField(_("query"), max_length=1000)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("saved filter")
        verbose_name_plural = _("saved filters")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="saved_filter_unique_name_per_owner")]

    def __str__(self) -> str:
        return self.name


class ClientListPreference(models.Model):
    """The columns a user chose to see in the client list (the column chooser remembers them here)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="client_list_preference",
        verbose_name=_("user"),
    )
    columns = models.JSONField(_("columns"), default=list, blank=True,
                               help_text=_("Keys of the optional columns shown, in crm.selectors.CLIENT_COLUMNS."))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("client list preference")
        verbose_name_plural = _("client list preferences")

    def __str__(self) -> str:
        return str(self.user)


class ClientImportManager(models.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(kind=ClientImport.KIND)


class ClientImport(ImportUpload):
    """An uploaded client file (``dataimport.ImportUpload`` of kind "clients"), from dry run to
    commit, with its per-row report; after the commit, the import's record in the history."""

    KIND = "clients"

    objects = ClientImportManager()

    class Meta:
        proxy = True
        verbose_name = _("client import")
        verbose_name_plural = _("client imports")

    def save(self, *args, **kwargs):
        self.kind = self.KIND
        super().save(*args, **kwargs)


class ClientMerge(models.Model):
    """The trace of two records merged into one: both as they were, and the field choices made."""

    surviving_client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="merges", verbose_name=_("surviving client")
    )
    merged_client = models.ForeignKey(
        Client, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("merged client record"),
        help_text=_("Empty when an incoming import row was merged into an existing client."),
    )
    surviving_snapshot = models.JSONField(_("surviving record before merge"))
    merged_snapshot = models.JSONField(_("merged record before merge"))
    field_choices = models.JSONField(_("field choices"), default=dict)
    source_import = models.ForeignKey(
        ClientImport, on_delete=models.SET_NULL, null=True, blank=True, related_name="merges", verbose_name=_("import")
    )
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("merged by")
    )
    merged_at = models.DateTimeField(_("merged at"), default=timezone.now)

    class Meta:
        verbose_name = _("client merge")
        verbose_name_plural = _("client merges")
        ordering = ["-merged_at"]

    def __str__(self) -> str:
        return f"→ {self.surviving_client} ({self.merged_at:%Y-%m-%d})"


class RegistrationConflict(models.Model):
    """Someone tried to register, by the form or an import, an ID document that a client they may
    not see already holds. They are told only that the client cannot be created (so no RM can test
    whether a person banks here); the conflict goes to the team leads of both RMs (their workload
    page) and to administrators (admin), who sort it out."""

    class Source(models.TextChoices):
        FORM = "form", _("Client form")
        IMPORT = "import", _("Client import")

    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("tried by"))
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("registered client"))
    source = models.CharField(_("source"), max_length=10, choices=Source)
    created_at = models.DateTimeField(_("when"), default=timezone.now)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("registration conflict")
        verbose_name_plural = _("registration conflicts")
        ordering = ["-created_at", "-id"]
        constraints = [
            # One open conflict per person and client: a repeated attempt (or an import's dry run
            # and commit) does not pile up rows.
            models.UniqueConstraint(fields=["requested_by", "client"], condition=Q(resolved_at__isnull=True),
                                    name="registration_conflict_one_open"),
        ]

    def __str__(self) -> str:
        return f"{self.requested_by} · {self.client_id} · {self.created_at:%Y-%m-%d}"


class PublicLink(models.Model):
    """A signed, expiring, single-use link that lets a client reach one public form without an
    account (a risk questionnaire, a feedback form). Only a hash of the token is stored, so the
    table alone opens nothing; ``used_at`` is set in the same transaction as the submission."""

    purpose = models.CharField(_("purpose"), max_length=40, db_index=True)
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="public_links",
                               verbose_name=_("client"))
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    payload = models.JSONField(_("details"), default=dict, blank=True)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("issued by"))
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("public link")
        verbose_name_plural = _("public links")
        ordering = ["-issued_at"]
        constraints = [
            models.CheckConstraint(condition=Q(expires_at__gt=models.F("issued_at")), name="public_link_expires_after_issue"),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} · {self.client_id} · {self.issued_at:%Y-%m-%d}"


class SensitiveView(models.Model):
    """One look at sensitive client data (the client page, a portfolio page, an export), for
    compliance review: who, when, what, from which request. Written only by
    ``crm.audit.sensitive_view_record``; read-only everywhere, never deleted."""

    class What(models.TextChoices):
        CLIENT_PAGE = "client_page", _("Client page")
        PORTFOLIO_PAGE = "portfolio_page", _("Portfolio page")
        CLIENT_EXPORT = "client_export", _("Client export")
        AUDIT_EXPORT = "audit_export", _("Audit trail export")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("staff member"))
    viewed_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    what = models.CharField(_("what"), max_length=20, choices=What)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                               verbose_name=_("client"))
    detail = models.CharField(_("details"), max_length=500, blank=True,
                              help_text=_("For an export: its filter and format."))
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    request_id = models.CharField(_("request"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("view of sensitive data")
        verbose_name_plural = _("views of sensitive data")
        ordering = ["-viewed_at", "-id"]
        indexes = [models.Index(fields=["client", "viewed_at"], name="sensitive_view_client_idx"),
                   models.Index(fields=["user", "viewed_at"], name="sensitive_view_user_idx")]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_what_display()} · {self.viewed_at:%Y-%m-%d %H:%M}"
