"""Admin for client value: administrators edit the fee rates and the settings (saving either queues
the recompute of every stored value); the records RMs enter and the stored values are read here
(they change through the client value page and its services)."""

from django.contrib import admin

from crm.admin import HistoryAdmin, ReadOnlyAdmin

from . import tasks
from .models import (ClientValue, CostRecord, FeeRate, Opportunity, ProspectEstimate, Referral, RevenueRecord,
                     ValueSettings)


@admin.register(FeeRate)
class FeeRateAdmin(HistoryAdmin):
    list_display = ("asset_class", "rate_pct")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        tasks.client_values_recompute.delay_on_commit()  # every stored value, with the new rate

    def has_delete_permission(self, request, obj=None):
        return False  # a class without a row silently falls back to the default; edit it instead


@admin.register(ValueSettings)
class ValueSettingsAdmin(HistoryAdmin):
    list_display = ("__str__", "discount_rate_pct", "default_lifetime_years", "max_lifetime_years", "history_years")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        tasks.client_values_recompute.delay_on_commit()  # every stored value, with the new settings

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not ValueSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CostRecord)
class CostRecordAdmin(ReadOnlyAdmin, HistoryAdmin):
    list_display = ("client", "year", "kind", "amount", "currency", "recorded_by", "recorded_at")
    list_filter = ("kind", "year")
    list_select_related = ("client", "recorded_by")
    search_fields = ("client__legal_name", "description")


@admin.register(RevenueRecord)
class RevenueRecordAdmin(ReadOnlyAdmin, HistoryAdmin):
    list_display = ("client", "year", "amount", "currency", "description", "recorded_by")
    list_filter = ("year",)
    list_select_related = ("client", "recorded_by")
    search_fields = ("client__legal_name", "description")


@admin.register(Referral)
class ReferralAdmin(ReadOnlyAdmin, HistoryAdmin):
    list_display = ("referrer", "referred", "referred_on", "value", "currency", "recorded_by")
    list_select_related = ("referrer", "referred", "recorded_by")
    search_fields = ("referrer__legal_name", "referred__legal_name")


@admin.register(ProspectEstimate)
class ProspectEstimateAdmin(ReadOnlyAdmin, HistoryAdmin):
    list_display = ("client", "purchase_amount", "currency", "wallet_share_pct", "margin_pct",
                    "transactions_per_year", "updated_at")
    list_select_related = ("client",)
    search_fields = ("client__legal_name",)


@admin.register(Opportunity)
class OpportunityAdmin(ReadOnlyAdmin, HistoryAdmin):
    list_display = ("client", "product", "amount", "currency", "stage", "expected_close_on", "owner")
    list_filter = ("stage",)
    list_select_related = ("client", "owner")
    search_fields = ("client__legal_name", "product")


@admin.register(ClientValue)
class ClientValueAdmin(ReadOnlyAdmin):
    list_display = ("client", "clv", "currency", "method", "lifetime_years", "computed_at")
    list_filter = ("method",)
    list_select_related = ("client",)
    search_fields = ("client__legal_name",)
    ordering = ("-clv",)
