from django.urls import path

from . import audit_views, import_views, views

app_name = "crm"

urlpatterns = [
    path("", views.client_list, name="client-list"),
    path("<int:pk>/", views.client_detail, name="client-detail"),
    path("<int:pk>/merge/", import_views.client_merge, name="client-merge"),
    path("imports/", import_views.import_list, name="import-list"),
    path("imports/upload/", import_views.import_upload, name="import-upload"),
    path("imports/<int:pk>/", import_views.import_detail, name="import-detail"),
    path("imports/<int:pk>/mapping/", import_views.import_mapping, name="import-mapping"),
    path("imports/<int:pk>/commit/", import_views.import_commit, name="import-commit"),
    path("imports/<int:pk>/errors.csv", import_views.import_errors_download, name="import-errors"),
    path("imports/<int:pk>/rows/", import_views.import_rows, name="import-rows"),
    path("imports/<int:pk>/cleaned.csv", import_views.import_rows_download, {"file_format": "csv"},
         name="import-rows-csv"),
    path("imports/<int:pk>/cleaned.xlsx", import_views.import_rows_download, {"file_format": "xlsx"},
         name="import-rows-xlsx"),
    # Client registry (issue 3, part A)
    path("new/", views.client_create, name="client-create"),
    path("export/", views.client_export, name="client-export"),
    path("<int:pk>/edit/", views.client_edit, name="client-edit"),
    path("<int:pk>/lifecycle/", views.client_lifecycle, name="client-lifecycle"),
    path("<int:pk>/reassign/", views.client_reassign, name="client-reassign"),
    path("<int:pk>/household/new/", views.household_create, name="household-create"),
    path("columns/", views.client_list_columns, name="client-list-columns"),
    path("recent/", views.client_recent, name="client-recent"),
    path("filters/save/", views.saved_filter_save, name="saved-filter-save"),
    path("filters/<int:pk>/delete/", views.saved_filter_delete, name="saved-filter-delete"),
    path("households/<int:pk>/", views.household_detail, name="household-detail"),
    path("households/<int:pk>/edit/", views.household_edit, name="household-edit"),
    path("households/<int:pk>/members/add/", views.household_member_add, name="household-member-add"),
    path("households/<int:pk>/members/<int:member_pk>/remove/", views.household_member_remove,
         name="household-member-remove"),
    path("workload/", views.workload, name="workload"),
    path("handover/", views.handover, name="handover"),
    path("handover/confirm/", views.handover_confirm, name="handover-confirm"),
    # Audit trail (issue 10): the client's History tab; compliance's changes, export and views log
    path("<int:pk>/history/", audit_views.client_history, name="client-history"),
    path("audit/", audit_views.audit_changes, name="audit-changes"),
    path("audit/export/", audit_views.audit_changes_export, name="audit-changes-export"),
    path("audit/views/", audit_views.audit_views, name="audit-views"),
    path("pick/", views.client_pick, name="client-pick"),
]
