"""/api/: the versioned REST API (v1), its OpenAPI schema and its docs page.

The API views answer anonymous callers themselves (401 JSON, never the sign-in page), since a
system signs in with a token that LoginRequiredMiddleware knows nothing of: they are
``login_not_required`` and DRF requires a token or a session (``IsAuthenticated``). The docs page is
for signed-in staff: anonymous visitors get the sign-in page."""

from django.contrib.auth.decorators import login_not_required
from django.urls import path, re_path

from . import views

app_name = "api"


def _api(view_class):
    return login_not_required(view_class.as_view())


def _staff_page(view):
    """A page for signed-in staff: LoginRequiredMiddleware sends anonymous visitors to sign in
    (DRF marks its views exempt from it, as the API answers them itself)."""
    view.login_required = True
    return view


urlpatterns = [
    path("v1/clients/", _api(views.ClientListView), name="client-list"),
    path("v1/clients/<int:pk>/", _api(views.ClientDetailView), name="client-detail"),
    path("v1/clients/<int:pk>/valuations/", _api(views.ValuationListView), name="client-valuations"),
    path("v1/clients/<int:pk>/contacts/", _api(views.ContactListView), name="client-contacts"),
    path("v1/holdings/", _api(views.HoldingsUpsertView), name="holding-upsert"),
    path("v1/reminders/", _api(views.ReminderListView), name="reminder-list"),
    path("v1/reminders/<int:pk>/done/", _api(views.ReminderDoneView), name="reminder-done"),
    path("schema/", _api(views.ApiSchemaView), name="schema"),
    # Last: an address under /api/ that none of the above takes still answers in the error shape.
    re_path(r"^v1/.+", _api(views.NotFoundView), name="not-found"),
    path("docs/", _staff_page(views.ApiDocsView.as_view(url_name="api:schema")), name="docs"),
]
