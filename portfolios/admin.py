"""Admin for client assets. Who may change FX rates, model allocations and concentration
limits is decided by permissions (``crm.roles.ADMIN_ONLY_PERMISSIONS``), not here. Holdings,
prices and drawdown limits are saved through ``portfolios.services``, which queue the revaluation
of the clients they change."""

from decimal import Decimal

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Max
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from crm.admin import HistoryAdmin, NoDeleteAdmin, ReadOnlyAdmin, ReadOnlyInline, form_instance_adopt

from . import services
from .models import (
    Account,
    Alert,
    CashFlow,
    ClientRatedHoldings,
    ConcentrationLimit,
    DrawdownLimit,
    FxRate,
    Goal,
    Holding,
    Institution,
    Instrument,
    InstrumentPrice,
    ModelAllocation,
    ModelAllocationWeight,
    RebalanceProposal,
    RebalanceTrade,
    SuitabilityException,
    ValuationRun,
    ValuationSnapshot,
)
from .selectors import plain


@admin.register(Institution)
class InstitutionAdmin(admin.ModelAdmin):
    list_display = ("name", "is_bank")
    list_filter = ("is_bank",)
    search_fields = ("name",)


class HoldingInline(ReadOnlyInline):
    # Shown on the account; changed on the holding's own page, which saves through the services.
    model = Holding
    fields = ("instrument", "quantity", "cost", "market_value", "currency", "valuation_date", "is_illiquid")
    show_change_link = True


@admin.register(Account)
class AccountAdmin(HistoryAdmin):
    list_display = ("__str__", "client", "kind", "institution", "account_number", "currency", "is_active")
    list_filter = ("kind", "is_active", "currency", "institution")
    search_fields = ("account_number", "name", "client__legal_name", "institution__name")
    autocomplete_fields = ("client", "institution")
    list_select_related = ("client", "institution")
    inlines = [HoldingInline]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if {"client", "is_active"} & set(form.changed_data):
            # Its holdings leave or join the suitability counts of its client (and of the one it left).
            services.client_rated_holdings_refresh(client_ids={obj.client_id, form.initial.get("client")} - {None})

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        services.client_rated_holdings_refresh(client_ids=[obj.client_id])

    def delete_queryset(self, request, queryset):
        client_ids = set(queryset.values_list("client_id", flat=True))
        super().delete_queryset(request, queryset)
        services.client_rated_holdings_refresh(client_ids=client_ids)


@admin.register(Instrument)
class InstrumentAdmin(HistoryAdmin):
    list_display = ("code", "name", "asset_class", "region", "industry", "issuer", "currency", "liquidity_tier",
                    "risk_rating")
    list_filter = ("asset_class", "liquidity_tier", "risk_rating", "currency", "region")
    search_fields = ("code", "name", "issuer", "industry")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "risk_rating" in form.changed_data:
            # A new rating moves its holders' holdings in or out of their suitability counts.
            services.client_rated_holdings_refresh(
                client_ids=Account.objects.filter(holdings__instrument=obj).order_by().values("client_id"))


@admin.register(InstrumentPrice)
class InstrumentPriceAdmin(HistoryAdmin):  # every price change is kept: who, when, old → new
    list_display = ("instrument", "price_date", "price", "currency")
    list_filter = ("currency", "price_date")
    search_fields = ("instrument__code", "instrument__name")
    autocomplete_fields = ("instrument",)
    list_select_related = ("instrument",)
    date_hierarchy = "price_date"

    def get_readonly_fields(self, request, obj=None):
        # A day's price is corrected, not moved to another day or instrument.
        return ("instrument", "price_date") if obj else ()

    def save_model(self, request, obj, form, change):
        # Through the service: the instrument's holdings are revalued at the price, their clients queued.
        client_ids = services.instrument_price_record(
            instrument=obj.instrument, price_date=obj.price_date, price=obj.price, currency=obj.currency)
        services.valuations_refresh_enqueue(client_ids=client_ids, valuation_date=obj.price_date)
        if not change:
            form_instance_adopt(obj, InstrumentPrice.objects.get(instrument=obj.instrument, price_date=obj.price_date))


@admin.register(Holding)
class HoldingAdmin(HistoryAdmin):
    list_display = ("instrument", "account", "client_name", "quantity", "market_value", "currency",
                    "valuation_date", "is_illiquid", "stop_loss_price", "stop_loss_pct", "stop_loss_breached")
    list_filter = ("instrument__asset_class", "is_illiquid", "stop_loss_breached", "currency")
    search_fields = ("instrument__code", "instrument__name", "account__account_number", "account__client__legal_name")
    autocomplete_fields = ("account", "instrument")
    list_select_related = ("instrument", "account__client", "account__institution")

    def get_readonly_fields(self, request, obj=None):
        # A position is one account's holding of one instrument: it does not move to another.
        return ("account", "instrument", "stop_loss_breached") if obj else ("stop_loss_breached",)

    def save_model(self, request, obj, form, change):
        """Position through holding_upsert, stop-loss through holding_stop_loss_set, which queues the
        client's revaluation (a stop already crossed raises its alert then)."""
        data = form.cleaned_data
        holding, _changed = services.holding_upsert(
            account=obj.account, instrument=obj.instrument, quantity=data["quantity"], cost=data["cost"],
            market_value=data["market_value"], currency=data["currency"], valuation_date=data["valuation_date"],
            is_illiquid=data["is_illiquid"],
        )
        services.holding_stop_loss_set(holding=holding, price=data["stop_loss_price"], pct=data["stop_loss_pct"])
        if not change:
            form_instance_adopt(obj, holding)

    @admin.display(description=_("client"), ordering="account__client__legal_name")
    def client_name(self, holding):
        return holding.account.client


@admin.register(FxRate)
class FxRateAdmin(admin.ModelAdmin):
    list_display = ("currency", "quote_currency", "rate_date", "rate")
    list_filter = ("currency", "quote_currency")
    search_fields = ("currency",)
    date_hierarchy = "rate_date"


@admin.register(ValuationSnapshot)
class ValuationSnapshotAdmin(admin.ModelAdmin):
    list_display = ("client", "valuation_date", "aum", "currency")
    list_filter = ("currency",)
    search_fields = ("client__legal_name",)
    autocomplete_fields = ("client",)
    list_select_related = ("client",)
    date_hierarchy = "valuation_date"
    readonly_fields = ("by_asset_class",)


@admin.register(ValuationRun)
class ValuationRunAdmin(ReadOnlyAdmin):
    """The daily revaluation's progress per day, written only by the run itself."""

    list_display = ("valuation_date", "clients_done", "clients_total", "clients_failed", "started_at", "updated_at",
                    "finished_at")
    date_hierarchy = "valuation_date"


@admin.register(ClientRatedHoldings)
class ClientRatedHoldingsAdmin(ReadOnlyAdmin):
    """Per client, its holdings by product rating that no exception covers: kept by the services
    (``client_rated_holdings_refresh``) for the book's suitability counts; shown to check them."""

    list_display = ("client", "rated_r2", "rated_r3", "rated_r4", "rated_r5")
    search_fields = ("client__legal_name",)
    list_select_related = ("client",)


class WeightsAddUpFormSet(BaseInlineFormSet):
    """The kept weights of a model allocation must add up to 100 %."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        total = sum(
            (form.cleaned_data.get("target_weight") or Decimal("0")
             for form in self.forms if form.cleaned_data and not form.cleaned_data.get("DELETE")),
            Decimal("0"),
        )
        if total != Decimal("100"):
            raise ValidationError(
                gettext("The target weights add up to %(total)s%%, not 100%%.") % {"total": plain(total)}
            )


class ModelAllocationWeightInline(admin.TabularInline):
    model = ModelAllocationWeight
    formset = WeightsAddUpFormSet
    extra = 0
    min_num = 1


@admin.register(ModelAllocation)
class ModelAllocationAdmin(HistoryAdmin):
    list_display = ("risk_level", "version", "effective_from", "is_active", "notes", "created_at")
    list_filter = ("risk_level", "is_active")
    search_fields = ("risk_level", "notes")
    readonly_fields = ("version", "created_at")
    inlines = [ModelAllocationWeightInline]
    # "Save as new" keeps the old version for history and numbers the copy as the next one.
    save_as = True

    def save_model(self, request, obj, form, change):
        if obj.pk is None:
            latest = ModelAllocation.objects.filter(risk_level=obj.risk_level).aggregate(v=Max("version"))["v"]
            obj.version = (latest or 0) + 1
        super().save_model(request, obj, form, change)


@admin.register(ModelAllocationWeight)
class ModelAllocationWeightAdmin(HistoryAdmin):
    list_display = ("allocation", "asset_class", "target_weight", "tolerance")
    list_filter = ("allocation__risk_level", "asset_class")
    search_fields = ("allocation__risk_level",)
    list_select_related = ("allocation",)

    # A single weight changed on its own would break the 100 % rule; edit them on the allocation.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class RebalanceTradeInline(admin.TabularInline):
    model = RebalanceTrade
    extra = 0
    can_delete = False
    readonly_fields = ("asset_class", "action", "instrument", "amount", "currency", "weight_before", "weight_after")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(RebalanceProposal)
class RebalanceProposalAdmin(HistoryAdmin):
    list_display = ("client", "created_at", "status", "aum", "currency", "minimum_trade", "created_by")
    list_filter = ("status",)
    search_fields = ("client__legal_name", "notes")
    autocomplete_fields = ("client", "created_by")
    list_select_related = ("client", "created_by")
    date_hierarchy = "created_at"
    # Proposals are made and moved through their statuses by the RM's pages (the services layer).
    readonly_fields = ("client", "allocation", "aum", "currency", "minimum_trade", "status", "created_by",
                       "created_at", "status_changed_at")
    inlines = [RebalanceTradeInline]

    def has_add_permission(self, request):
        return False


@admin.register(RebalanceTrade)
class RebalanceTradeAdmin(admin.ModelAdmin):
    list_display = ("proposal", "asset_class", "action", "amount", "currency", "weight_before", "weight_after")
    list_filter = ("action", "asset_class")
    search_fields = ("proposal__client__legal_name",)
    list_select_related = ("proposal__client",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ConcentrationLimit)
class ConcentrationLimitAdmin(HistoryAdmin):
    """Rules for everyone (blank risk level and tier) and for segments: the most specific rule
    matching a client wins, so adding a switched-off rule for, say, mass clients silences that check
    for them only. Saved through the service, which queues the covered clients' revaluation."""

    list_display = ("kind", "risk_level", "aum_tier", "threshold", "is_active")
    list_display_links = ("kind",)
    list_editable = ("threshold", "is_active")
    list_filter = ("kind", "risk_level", "aum_tier", "is_active")
    search_fields = ("kind",)
    fields = ("kind", "risk_level", "aum_tier", "threshold", "is_active")

    def save_model(self, request, obj, form, change):
        previous = None
        if change and obj.pk:
            previous = ConcentrationLimit.objects.filter(pk=obj.pk).values_list("risk_level", "aum_tier").first()
        services.concentration_limit_save(limit=obj, previous_scope=previous)


@admin.register(DrawdownLimit)
class DrawdownLimitAdmin(HistoryAdmin):
    list_display = ("client", "max_drawdown_pct", "is_breached")
    list_filter = ("is_breached",)
    search_fields = ("client__legal_name",)
    autocomplete_fields = ("client",)
    list_select_related = ("client",)

    def get_readonly_fields(self, request, obj=None):
        return ("client", "is_breached") if obj else ("is_breached",)

    def save_model(self, request, obj, form, change):
        # Through the service, which queues the client's revaluation against the new limit.
        services.drawdown_limit_set(limit=obj, max_drawdown_pct=form.cleaned_data["max_drawdown_pct"])


@admin.register(Alert)
class AlertAdmin(NoDeleteAdmin, admin.ModelAdmin):
    list_display = ("message", "client", "kind", "subject", "raised_at", "resolved_at", "acknowledged_by")
    list_filter = ("kind", ("resolved_at", admin.EmptyFieldListFilter), ("acknowledged_at", admin.EmptyFieldListFilter))
    search_fields = ("client__legal_name", "subject", "message")
    autocomplete_fields = ("client",)
    list_select_related = ("client", "acknowledged_by")
    date_hierarchy = "raised_at"
    # Alerts are raised and resolved by valuations; people only acknowledge them.
    readonly_fields = ("client", "kind", "subject", "message", "details", "raised_at", "resolved_at",
                       "acknowledged_by", "acknowledged_at")
    actions = ["acknowledge"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Acknowledge the selected alerts"), permissions=["change"])
    def acknowledge(self, request, queryset):
        count = 0
        for alert in queryset.filter(acknowledged_at__isnull=True):
            services.alert_acknowledge(alert=alert, user=request.user)
            count += 1
        self.message_user(request, ngettext("%(count)d alert acknowledged.", "%(count)d alerts acknowledged.",
                                            count) % {"count": count})


@admin.register(Goal)
class GoalAdmin(HistoryAdmin):
    list_display = ("name", "client", "kind", "target_amount", "currency", "target_date", "expected_return_pct")
    list_filter = ("kind", "currency")
    search_fields = ("name", "client__legal_name")
    autocomplete_fields = ("client", "linked_accounts")
    list_select_related = ("client",)


@admin.register(SuitabilityException)
class SuitabilityExceptionAdmin(ReadOnlyAdmin):
    """Documented exceptions to investor suitability, for compliance to review: recorded by the RM's
    pages (portfolio page, rebalance proposals) through the services, never changed here."""

    list_display = ("recorded_at", "client", "instrument", "product_rating", "client_risk_level",
                    "client_assessment_valid", "subject", "client_acknowledged_on", "recorded_by")
    list_filter = ("subject", "product_rating", "client_risk_level", "client_assessment_valid")
    search_fields = ("client__legal_name", "instrument__code", "instrument__name", "reason")
    list_select_related = ("client", "instrument", "recorded_by")
    date_hierarchy = "recorded_at"
    readonly_fields = ("subject", "client", "instrument", "holding", "trade", "product_rating", "client_risk_level",
                       "client_assessment_valid", "reason", "client_acknowledged", "client_acknowledged_on",
                       "recorded_by", "recorded_at")


@admin.register(CashFlow)
class CashFlowAdmin(ReadOnlyAdmin, HistoryAdmin):
    """Contributions and withdrawals, recorded on the portfolio page through
    ``portfolios.cash_flows.cash_flow_record`` (which fixes the base-currency amount); read here."""

    list_display = ("flow_date", "client", "kind", "amount", "currency", "amount_base", "base_currency", "account",
                    "source", "recorded_by", "recorded_at")
    list_filter = ("kind", "source", "currency")
    search_fields = ("client__legal_name", "note")
    list_select_related = ("client", "account__institution", "recorded_by")
    date_hierarchy = "flow_date"
