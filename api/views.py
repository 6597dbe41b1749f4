"""Thin API views: access through ``crm.access`` (another RM's client answers 404, like one that does
not exist; a role that may not write answers 403), writes through the apps' services."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import generics, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from communications import selectors as communications_selectors
from communications import services as communications_services
from communications.models import ContactLog, Reminder
from crm import access, audit
from crm import services as crm_services
from crm.models import SensitiveView
from portfolios.models import ValuationSnapshot

from . import selectors, services
from .filters import ClientFilter, ReminderFilter, ValuationFilter
from .serializers import (
    ClientSerializer,
    ClientWriteSerializer,
    ContactSerializer,
    HoldingsUpsertResultSerializer,
    HoldingsUpsertSerializer,
    ReminderSerializer,
    ValuationSerializer,
)


def _may_change_clients(request) -> None:
    if not access.may_change_clients(request.user):
        raise PermissionDenied(_("Your role may read clients but not change them."))


@extend_schema(tags=["clients"])
class ClientListView(generics.ListCreateAPIView):
    """The clients you may see (as the client list: same search and filters), ID and phone numbers
    masked where your role sees them so; register a client, normalised and checked for duplicates
    as the client form does."""

    filterset_class = ClientFilter

    def get_queryset(self):
        return access.client_list_visible(user=self.request.user)  # narrowed by ClientFilter's selector

    def get_serializer_class(self):
        return ClientWriteSerializer if self.request.method == "POST" else ClientSerializer

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        audit.sensitive_view_record(request=request, what=SensitiveView.What.CLIENT_EXPORT,
                                    detail=f"API {request.get_full_path()}")
        return response

    @extend_schema(request=ClientWriteSerializer, responses={201: ClientSerializer})
    def post(self, request, *args, **kwargs):
        _may_change_clients(request)
        serializer = ClientWriteSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        tags = fields.pop("tags", ())
        primary = fields.pop("primary_manager", None)
        if primary is None and access.is_relationship_manager(request.user) and not access.manager_list_assignable(
                user=request.user).exists():
            primary = request.user  # as the client form: an RM's new client is their own
        client = crm_services.client_create(created_by=request.user, primary_manager=primary, tags=tags, **fields)
        client = selectors.client_get_visible(user=request.user, pk=client.pk)
        return Response(ClientSerializer(client, context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED)


@extend_schema(tags=["clients"])
class ClientDetailView(generics.GenericAPIView):
    serializer_class = ClientSerializer
    http_method_names = ["get", "patch", "head", "options"]

    @extend_schema(responses=ClientSerializer)
    def get(self, request, pk: int):
        client = selectors.client_get_visible(user=request.user, pk=pk)
        audit.sensitive_view_record(request=request, what=SensitiveView.What.CLIENT_PAGE, client_id=client.pk,
                                    detail="API")
        return Response(ClientSerializer(client, context=self.get_serializer_context()).data)

    @extend_schema(request=ClientWriteSerializer, responses=ClientSerializer)
    def patch(self, request, pk: int):
        """Change some of the client's fields, as the client form does; the RM, stage and AUM move
        only through their own pages."""
        client = access.client_get_editable(user=request.user, pk=pk)
        serializer = ClientWriteSerializer(client, data=request.data, partial=True,
                                           context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        tags = fields.pop("tags", None)
        crm_services.client_update(client=client, tags=tags, updated_by=request.user, **fields)
        client = selectors.client_get_visible(user=request.user, pk=pk)
        return Response(ClientSerializer(client, context=self.get_serializer_context()).data)


@extend_schema(tags=["valuations"])
class ValuationListView(generics.ListAPIView):
    """The client's valuation history (AUM per day, in the base currency), oldest first."""

    serializer_class = ValuationSerializer
    filterset_class = ValuationFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular reading the model
            return ValuationSnapshot.objects.none()
        client = access.client_get_visible(user=self.request.user, pk=self.kwargs["pk"])
        return selectors.valuation_list(client=client)


@extend_schema(tags=["contacts"])
class ContactListView(generics.ListCreateAPIView):
    """The client's contact log, newest first; log a contact (a next step due soon becomes a reminder
    at once, as on the client page)."""

    serializer_class = ContactSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ContactLog.objects.none()
        client = access.client_get_visible(user=self.request.user, pk=self.kwargs["pk"])
        return selectors.contact_list(client=client)

    def post(self, request, pk: int):
        client = access.client_get_editable(user=request.user, pk=pk)
        serializer = ContactSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        contact = communications_services.contact_record(client=client, recorded_by=request.user,
                                                        **serializer.validated_data)
        return Response(ContactSerializer(contact).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["holdings"])
class HoldingsUpsertView(APIView):
    """Create or update positions by account and instrument (up to 500 a call, all or nothing), as the
    positions import does; the clients whose holdings changed are revalued by a worker."""

    @extend_schema(request=HoldingsUpsertSerializer, responses=HoldingsUpsertResultSerializer)
    def post(self, request):
        _may_change_clients(request)
        serializer = HoldingsUpsertSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = services.holdings_upsert(user=request.user, positions=serializer.validated_data["holdings"])
        return Response(HoldingsUpsertResultSerializer(result).data)


@extend_schema(tags=["reminders"])
class ReminderListView(generics.ListAPIView):
    """Your open reminders (on the clients you serve), the earliest due first."""

    serializer_class = ReminderSerializer
    filterset_class = ReminderFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Reminder.objects.none()
        return communications_selectors.reminder_list_open(user=self.request.user)


@extend_schema(tags=["reminders"])
class ReminderDoneView(APIView):
    """Mark a reminder done (on a client you may change); done again changes nothing."""

    @extend_schema(request=None, responses=ReminderSerializer)
    def post(self, request, pk: int):
        reminder = communications_selectors.reminder_get_editable(user=request.user, pk=pk)
        if reminder.done_at is None:
            reminder = communications_services.reminder_done(reminder=reminder, user=request.user)
        return Response(ReminderSerializer(reminder, context={"request": request}).data)


class ApiSchemaView(SpectacularAPIView):
    """The OpenAPI document (YAML, or JSON with ?format=json); its refusals in the API's JSON error shape."""

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        self.request.accepted_renderer, self.request.accepted_media_type = JSONRenderer(), "application/json"
        return response


class ApiDocsView(SpectacularSwaggerSplitView):
    """Swagger UI from the vendored sidecar files; its start-up script is a file of its own (?script=),
    so the page runs under the site's Content-Security-Policy (no inline script or style)."""

    template_name = "api/swagger_ui.html"


class NotFoundView(APIView):
    """Any other address under /api/: the error shape (401 or 404), never an HTML page."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        raise NotFound()
