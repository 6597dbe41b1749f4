from django import forms
from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin.models import LogEntry
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.response import TemplateResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from . import access, services, tasks
from .forms import StaffChoiceField, form_errors_add
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
    RegistrationConflict,
    SavedFilter,
    SensitiveView,
    Tag,
    Team,
    User,
)


class HistoryAdmin(SimpleHistoryAdmin):
    """simple-history's admin, but its "revert to this version" form saves only for who may change the
    object (simple-history itself saves a POST from anyone who may view the history), and through
    the admin's own save_model."""

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST" and not self.has_change_permission(request):
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


def form_instance_adopt(obj, saved) -> None:
    """Make the admin form's unsaved instance the row a service created, for what the admin does next
    with it (related objects, the change log, the redirect)."""
    obj.pk, obj._state.adding = saved.pk, False
    obj.refresh_from_db()


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
class TeamAdmin(HistoryAdmin):
    list_display = ("name", "lead")
    search_fields = ("name", "lead__username", "lead__first_name", "lead__last_name")
    autocomplete_fields = ("lead", "members")


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ("name",)
    search_fields = ("name",)


class NoDeleteAdmin:
    """Audit-bearing rows (clients, imports, merges, links, alerts…) are never deleted, by anyone: the
    admin offers no delete page or action for them. A client leaves through its lifecycle
    (termination makes it inactive) or a merge, both recorded."""

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    """History rows shown on the client: written only by services, never edited here."""

    extra = 0

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AssignmentInline(ReadOnlyInline):
    # Assignments open and close through assignment_transfer (the "reassign" action below, the
    # client page, the handover), which keeps Client.primary_manager in step with them.
    model = Assignment
    fk_name = "client"
    fields = ("manager", "role", "started_at", "ended_at", "reason", "assigned_by")


class LifecycleTransitionInline(ReadOnlyInline):
    model = LifecycleTransition
    fields = ("from_stage", "to_stage", "reason", "changed_by", "changed_at")


class ClientAdminForm(forms.ModelForm):
    """The client's own fields, checked and normalised by the service's rules before the model is
    validated, so a bad phone shows on its field and a duplicate ID document is caught as typed."""

    def clean(self):
        cleaned = super().clean()
        given = {name: cleaned[name] for name in services.CLIENT_EDITABLE_FIELDS if name in cleaned}
        try:
            cleaned.update(services.client_fields_normalise(
                fields=given, client=self.instance if self.instance.pk else None))
        except ValidationError as error:
            form_errors_add(self, error)
        return cleaned


class LifecycleActionForm(forms.Form):
    to_stage = forms.ChoiceField(label=_("New stage"), choices=Client.LifecycleStage.choices)
    reason = forms.CharField(label=_("Reason"), max_length=255)


class ReassignActionForm(forms.Form):
    manager = StaffChoiceField(label=_("Primary relationship manager"), queryset=User.objects.none())
    reason = forms.CharField(label=_("Reason"), max_length=255)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["manager"].queryset = access.manager_list_assignable(user=user).order_by(
            "first_name", "last_name", "username")


@admin.register(Client)
class ClientAdmin(NoDeleteAdmin, HistoryAdmin):
    """Clients change here only through crm.services: the form saves with client_create /
    client_update, stage and RM move with the actions, and what services derive (stage, status,
    merge link, RM, AUM and tier, risk level) is read-only."""

    form = ClientAdminForm
    list_display = (
        "legal_name", "kind", "id_type", "id_number", "phone", "email", "primary_manager",
        "aum_tier", "aum_total", "risk_level", "lifecycle_stage", "status",
    )
    list_filter = ("kind", "status", "lifecycle_stage", "aum_tier", "risk_level", "kyc_status", "tags")
    search_fields = ("legal_name", "preferred_name", "id_number", "phone", "email")
    autocomplete_fields = ("tags",)
    list_select_related = ("primary_manager",)
    inlines = [AssignmentInline, LifecycleTransitionInline]
    actions = ["primary_manager_reassign", "lifecycle_stage_change"]
    show_full_result_count = False  # a COUNT(*) per page is slow on large registries

    own_fields = [*services.CLIENT_EDITABLE_FIELDS, "tags"]

    def get_readonly_fields(self, request, obj=None):
        # Every field but the client's own data: new derived fields are read-only without a change here.
        return [field.name for field in Client._meta.fields
                if field.name not in self.own_fields and not field.primary_key]

    def get_fieldsets(self, request, obj=None):
        return [
            (None, {"fields": self.own_fields}),
            (_("Kept by the application"), {
                "fields": self.get_readonly_fields(request, obj),
                "description": _("Change the lifecycle stage and the primary RM with the actions on the client "
                                 "list, which record each change with its reason; AUM, tier and risk level follow "
                                 "valuations and assessments."),
            }),
        ]

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in services.CLIENT_EDITABLE_FIELDS
                  if name in form.cleaned_data}
        if change:
            services.client_update(client=obj, **fields)
            return
        form_instance_adopt(obj, services.client_create(created_by=request.user, **fields))

    @admin.action(description=_("Reassign the primary RM of the selected clients"), permissions=["change"])
    def primary_manager_reassign(self, request, queryset):
        form = ReassignActionForm(request.POST if "apply" in request.POST else None, user=request.user)
        if not form.is_valid():
            return self._action_form_page(request, queryset, form=form, action="primary_manager_reassign",
                                          title=gettext("Reassign the primary RM"))
        manager, reason = form.cleaned_data["manager"], form.cleaned_data["reason"]
        self._each_through_service(request, queryset, lambda client: services.assignment_transfer(
            client=client, manager=manager, assigned_by=request.user, reason=reason))

    @admin.action(description=_("Change the lifecycle stage of the selected clients"), permissions=["change"])
    def lifecycle_stage_change(self, request, queryset):
        form = LifecycleActionForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            return self._action_form_page(request, queryset, form=form, action="lifecycle_stage_change",
                                          title=gettext("Change the lifecycle stage"))
        to_stage, reason = form.cleaned_data["to_stage"], form.cleaned_data["reason"]
        self._each_through_service(request, queryset, lambda client: services.lifecycle_transition(
            client=client, to_stage=to_stage, reason=reason, changed_by=request.user))

    def _each_through_service(self, request, queryset, change) -> None:
        """Apply ``change`` to each client on its own: one refused (a stage it cannot reach, an RM it
        already has) is reported and does not undo the others."""
        done = 0
        for client in queryset:
            try:
                change(client)
            except ValidationError as error:
                self.message_user(request, f"{client}: {' '.join(error.messages)}", level="error")
            else:
                done += 1
        if done:
            self.message_user(request, ngettext("%(count)d client changed.", "%(count)d clients changed.",
                                                done) % {"count": done})

    def _action_form_page(self, request, queryset, *, form, action: str, title: str):
        """The step between choosing an action and applying it, as the admin's delete confirmation."""
        shown = 20
        return TemplateResponse(request, "admin/crm/client/action_form.html", {
            **self.admin_site.each_context(request),
            "title": title, "opts": self.model._meta, "form": form, "action": action,
            "clients": list(queryset[:shown]), "client_count": queryset.count(), "shown": shown,
            "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
            "select_across": request.POST.get("select_across", "0"),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        })


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written only by services (with their invariants); the admin reads them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyAdmin, HistoryAdmin):
    list_display = ("client", "manager", "role", "started_at", "ended_at", "reason")
    list_filter = ("role", ("ended_at", admin.EmptyFieldListFilter))
    search_fields = ("client__legal_name", "manager__username", "manager__first_name", "manager__last_name")
    list_select_related = ("client", "manager")


@admin.register(LifecycleTransition)
class LifecycleTransitionAdmin(ReadOnlyAdmin):
    list_display = ("client", "from_stage", "to_stage", "reason", "changed_by", "changed_at")
    list_filter = ("from_stage", "to_stage")
    search_fields = ("client__legal_name", "reason")
    list_select_related = ("client", "changed_by")


class HouseholdMemberInline(admin.TabularInline):
    model = HouseholdMember
    extra = 1
    autocomplete_fields = ("client",)


@admin.register(Household)
class HouseholdAdmin(HistoryAdmin):
    list_display = ("name", "created_at")
    search_fields = ("name", "members__client__legal_name")
    inlines = [HouseholdMemberInline]


@admin.register(HouseholdMember)
class HouseholdMemberAdmin(HistoryAdmin):
    list_display = ("client", "household", "relationship")
    list_filter = ("relationship",)
    search_fields = ("client__legal_name", "household__name")
    autocomplete_fields = ("client", "household")


@admin.register(AumTierThreshold)
class AumTierThresholdAdmin(HistoryAdmin):
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
class ClientImportAdmin(NoDeleteAdmin, admin.ModelAdmin):
    list_display = (
        "file_name", "status", "row_count", "created_count", "updated_count", "skipped_count", "error_count",
        "uploaded_by", "uploaded_at",
    )
    list_filter = ("status",)
    search_fields = ("file_name", "file_sha256")
    autocomplete_fields = ("uploaded_by",)


@admin.register(ClientMerge)
class ClientMergeAdmin(NoDeleteAdmin, admin.ModelAdmin):
    list_display = ("surviving_client", "merged_client", "source_import", "merged_by", "merged_at")
    search_fields = ("surviving_client__legal_name",)
    autocomplete_fields = ("surviving_client", "merged_client", "source_import", "merged_by")


@admin.register(PublicLink)
class PublicLinkAdmin(NoDeleteAdmin, admin.ModelAdmin):
    """Links are issued from the client's pages; here they are read (who sent what, when used)."""

    list_display = ("purpose", "client", "issued_by", "issued_at", "expires_at", "used_at")
    list_filter = ("purpose",)
    search_fields = ("client__legal_name",)
    readonly_fields = ("purpose", "client", "payload", "issued_by", "issued_at", "expires_at", "used_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SensitiveView)
class SensitiveViewAdmin(ReadOnlyAdmin):
    """Who opened which client's page, portfolio or export; compliance reads it (also at /clients/audit/views/)."""

    list_display = ("viewed_at", "user", "what", "client", "detail", "ip_address")
    list_filter = ("what",)
    search_fields = ("client__legal_name", "user__username", "detail")
    list_select_related = ("user", "client")
    date_hierarchy = "viewed_at"


@admin.register(RegistrationConflict)
class RegistrationConflictAdmin(NoDeleteAdmin, admin.ModelAdmin):
    """Attempts to register an ID document a client the user may not see holds; an administrator
    marks one resolved once the leads have agreed who serves the client."""

    list_display = ("created_at", "requested_by", "source", "client", "resolved_at")
    list_filter = ("source", ("resolved_at", admin.EmptyFieldListFilter))
    readonly_fields = ("created_at", "requested_by", "source", "client")
    list_select_related = ("requested_by", "client")

    def has_add_permission(self, request):
        return False


@admin.register(LogEntry)
class LogEntryAdmin(ReadOnlyAdmin):
    """Django's own log of what was done in this admin, read by compliance and administrators; nobody
    edits or deletes it."""

    list_display = ("action_time", "user", "content_type", "object_repr", "action_flag", "change_message")
    list_filter = ("action_flag", "content_type")
    search_fields = ("object_repr", "user__username", "change_message")
    list_select_related = ("user", "content_type")
    date_hierarchy = "action_time"
