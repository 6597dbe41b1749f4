"""Query parameters of the list endpoints (django-filter: validated, and described in the schema).

The client filters are the client list's (``crm.selectors.client_list_search``): the same search
and the same meaning of each filter as on the page."""

import datetime

import django_filters
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from communications import selectors as communications_selectors
from crm import selectors as crm_selectors
from communications.models import Reminder
from crm.models import Client
from crm.scales import RiskLevel
from portfolios.models import ValuationSnapshot


class _UtcIsoDateTimeField(django_filters.fields.IsoDateTimeField):
    """An ISO 8601 time, turned into UTC: PostgreSQL refuses offsets beyond ±15:59, which ISO allows."""

    def to_python(self, value):
        moment = super().to_python(value)
        if moment is None:
            return None
        try:
            return moment.astimezone(datetime.timezone.utc)
        except OverflowError:  # e.g. 0001-01-01T00:00+05:00 is before year 1 in UTC
            raise ValidationError(_("Give a time between the years 1 and 9999 in UTC."), code="invalid") from None


class _UtcIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = _UtcIsoDateTimeField


class ClientFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(max_length=200, method="_none",
                                  help_text="Name, ID number, phone, e-mail or client number, as the search box.")
    tier = django_filters.ChoiceFilter(choices=Client.AumTier.choices, method="_none")
    risk = django_filters.ChoiceFilter(choices=[(crm_selectors.RISK_NOT_ASSESSED, _("Not assessed")),
                                                *RiskLevel.choices], method="_none",
                                       help_text="A risk level, or none for clients not assessed.")
    stage = django_filters.ChoiceFilter(choices=Client.LifecycleStage.choices, method="_none",
                                        help_text="Lifecycle stage.")
    status = django_filters.ChoiceFilter(
        choices=[*Client.Status.choices, (crm_selectors.STATUS_ALL, _("All, including merged"))], method="_none",
        help_text="Empty: active and inactive clients (merged records left out).")
    sort = django_filters.ChoiceFilter(
        choices=[(key, key) for name in crm_selectors.CLIENT_SORTS for key in (name, f"-{name}")], method="_none",
        help_text="Order, as the client list's columns; a leading - for descending. Default: name.")
    updated_since = _UtcIsoDateTimeFilter(field_name="updated_at", lookup_expr="gte",
                                                     help_text="Only clients changed at or after this time.")

    class Meta:
        model = Client
        fields = []

    def _none(self, queryset, name, value):
        return queryset  # applied together by filter_queryset, through the client list's selector

    def filter_queryset(self, queryset):
        data = self.form.cleaned_data
        params = {"q": data.get("q"), "tier": data.get("tier"), "risk": data.get("risk"),
                  "lifecycle": data.get("stage"), "status": data.get("status"), "sort": data.get("sort")}
        clients = crm_selectors.client_list_search(user=self.request.user, params=params)
        if data.get("updated_since"):
            clients = clients.filter(updated_at__gte=data["updated_since"])
        return clients


class ValuationFilter(django_filters.FilterSet):
    date_from = django_filters.DateFilter(field_name="valuation_date", lookup_expr="gte",
                                          help_text="First day (inclusive).")
    date_to = django_filters.DateFilter(field_name="valuation_date", lookup_expr="lte",
                                        help_text="Last day (inclusive).")

    class Meta:
        model = ValuationSnapshot
        fields = []


class ReminderFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=lambda: list(communications_selectors.kind_labels().items()))
    overdue = django_filters.BooleanFilter(method="_overdue", help_text="true: only reminders past their due date.")

    class Meta:
        model = Reminder
        fields = []

    def _overdue(self, queryset, name, value):
        return queryset.filter(due_on__lt=timezone.localdate()) if value else queryset
