from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from . import tasks
from .models import (
    Assignment,
    AumTierThreshold,
    Client,
    ClientImport,
    ClientMerge,
    Household,
    HouseholdMember,
    LifecycleTransition,
    PublicLink,
    SavedFilter,
    Tag,
    Team,
    User,
)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "first_name", "last_name", "email", "is_active", "is_staff", "role_names")
    list_filter = ("is_active", "is_staff", "groups")

    @admin.display(description=_("roles"))
    def role_names(self, user):
        return ", ".join(group.name for group in user.groups.all())

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")


@admin.register(Team)
class TeamAdmin(SimpleHistoryAdmin):
    list_display = ("name", "lead")
    search_fields = ("name", "lead__username", "lead__first_name", "lead__last_name")
    autocomplete_fields = ("lead", "members")


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ("name",)
    search_fields = ("name",)


class AssignmentInline(admin.TabularInline):
    model = Assignment
    fk_name = "client"
    extra = 0
    autocomplete_fields = ("manager", "assigned_by")
    readonly_fields = ("started_at", "ended_at", "assigned_by")
    can_delete = False


class LifecycleTransitionInline(admin.TabularInline):
    model = LifecycleTransition
    extra = 0
    readonly_fields = ("from_stage", "to_stage", "reason", "changed_by", "changed_at")
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Client)
class ClientAdmin(SimpleHistoryAdmin):
    list_display = (
        "legal_name", "kind", "id_type", "id_number", "phone", "email", "primary_manager",
        "aum_tier", "aum_total", "risk_level", "lifecycle_stage", "status",
    )
    list_filter = ("kind", "status", "lifecycle_stage", "aum_tier", "risk_level", "kyc_status", "tags")
    search_fields = ("legal_name", "preferred_name", "id_number", "phone", "email")
    autocomplete_fields = ("primary_manager", "tags", "merged_into", "created_by")
    readonly_fields = ("primary_manager", "aum_total", "aum_currency", "aum_tier", "risk_level", "created_at", "updated_at")
    list_select_related = ("primary_manager",)
    inlines = [AssignmentInline, LifecycleTransitionInline]
    show_full_result_count = False  # a COUNT(*) per page is slow on large registries


@admin.register(Assignment)
class AssignmentAdmin(SimpleHistoryAdmin):
    list_display = ("client", "manager", "role", "started_at", "ended_at", "reason")
    list_filter = ("role", ("ended_at", admin.EmptyFieldListFilter))
    search_fields = ("client__legal_name", "manager__username", "manager__first_name", "manager__last_name")
    autocomplete_fields = ("client", "manager", "assigned_by")
    list_select_related = ("client", "manager")


@admin.register(LifecycleTransition)
class LifecycleTransitionAdmin(admin.ModelAdmin):
    list_display = ("client", "from_stage", "to_stage", "reason", "changed_by", "changed_at")
    list_filter = ("from_stage", "to_stage")
    search_fields = ("client__legal_name", "reason")
    autocomplete_fields = ("client", "changed_by")
    list_select_related = ("client", "changed_by")


class HouseholdMemberInline(admin.TabularInline):
    model = HouseholdMember
    extra = 1
    autocomplete_fields = ("client",)


@admin.register(Household)
class HouseholdAdmin(SimpleHistoryAdmin):
    list_display = ("name", "created_at")
    search_fields = ("name", "members__client__legal_name")
    inlines = [HouseholdMemberInline]


@admin.register(HouseholdMember)
class HouseholdMemberAdmin(SimpleHistoryAdmin):
    list_display = ("client", "household", "relationship")
    list_filter = ("relationship",)
    search_fields = ("client__legal_name", "household__name")
    autocomplete_fields = ("client", "household")


@admin.register(AumTierThreshold)
class AumTierThresholdAdmin(SimpleHistoryAdmin):
    list_display = ("tier", "minimum_aum", "currency")

    # Re-tiering touches every client: a task, sent only once the new threshold is committed.
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        tasks.client_aum_tiers_refresh.delay_on_commit()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        tasks.client_aum_tiers_refresh.delay_on_commit()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        tasks.client_aum_tiers_refresh.delay_on_commit()


@admin.register(SavedFilter)
class SavedFilterAdmin(admin.ModelAdmin):
    list_display = ("name", "owner", "query_string", "created_at")
    search_fields = ("name", "owner__username")
    autocomplete_fields = ("owner",)


@admin.register(ClientImport)
class ClientImportAdmin(admin.ModelAdmin):
    list_display = (
        "file_name", "status", "row_count", "created_count", "updated_count", "skipped_count", "error_count",
        "uploaded_by", "uploaded_at",
    )
    list_filter = ("status",)
    search_fields = ("file_name", "file_sha256")
    autocomplete_fields = ("uploaded_by",)


@admin.register(ClientMerge)
class ClientMergeAdmin(admin.ModelAdmin):
    list_display = ("surviving_client", "merged_client", "source_import", "merged_by", "merged_at")
    search_fields = ("surviving_client__legal_name",)
    autocomplete_fields = ("surviving_client", "merged_client", "source_import", "merged_by")


@admin.register(PublicLink)
class PublicLinkAdmin(admin.ModelAdmin):
    """Links are issued from the client's pages; here they are read (who sent what, when used)."""

    list_display = ("purpose", "client", "issued_by", "issued_at", "expires_at", "used_at")
    list_filter = ("purpose",)
    search_fields = ("client__legal_name",)
    readonly_fields = ("purpose", "client", "payload", "issued_by", "issued_at", "expires_at", "used_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
