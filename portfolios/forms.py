"""Forms of client assets: crispy layout and single-field validation; the rules live in services."""

from decimal import Decimal

from crispy_forms.bootstrap import StrictButton
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row, Submit
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm import access
from crm.access import client_list_visible
from crm.models import Client
from crm.pickers import ClientPicker
from dataimport.forms import ImportUploadForm

from . import selectors
from .models import (Account, Alert, AlertSeverity, CashFlow, DrawdownLimit, Goal, Holding, Instrument, RebalanceProposal,
                     RebalanceTrade)
from .services import ExceptionTerms


def _helper(*, submit_label=None, multipart: bool = False) -> FormHelper:
    helper = FormHelper()
    helper.form_method = "post"
    if multipart:
        helper.attrs = {"enctype": "multipart/form-data"}
    if submit_label:
        helper.add_input(Submit("submit", submit_label))
    return helper


def asset_upload_form(*args, **kwargs) -> ImportUploadForm:
    """The import engine's upload form, worded for a custodian's positions or prices file."""
    return ImportUploadForm(*args, label=_("File"), submit_label=_("Check the file (dry run)"),
                            help_text=_("CSV (UTF-8 or GB18030) or XLSX, as the custodian exports it."), **kwargs)


class ImportCommitForm(forms.Form):
    """Confirms the checked file: the checksum ties the commit to the file the dry run read."""

    checksum = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(submit_label=_("Import these rows"))


class RebalanceForm(forms.Form):
    minimum_trade = forms.DecimalField(
        label=_("Minimum trade size"), min_value=Decimal("0"), max_digits=20, decimal_places=2,
        initial=Decimal("10000"), help_text=_("In the base currency; smaller trades are left out."),
    )
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()
        # The page's one <form> also holds the proposed lines' products and exceptions, and the
        # save button, below the preview.
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Row(Column("minimum_trade", css_class="col-md-4"), Column("notes", css_class="col-md-8")),
            StrictButton(_("Preview trades"), type="submit", name="action", value="preview",
                         css_class="btn btn-outline-primary me-2"),
        )


class ProposalStatusForm(forms.Form):
    status = forms.ChoiceField(choices=RebalanceProposal.Status.choices)

    def __init__(self, *args, next_statuses=(), action: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()
        self.helper.form_action = action
        self.helper.layout = Layout(*[
            StrictButton(RebalanceProposal.Status(status).label, type="submit", name="status", value=status,
                         css_class="btn btn-outline-danger me-2" if status == RebalanceProposal.Status.REJECTED
                         else "btn btn-primary me-2", data_testid=f"status-{status}")
            for status in next_statuses
        ])


class GoalForm(forms.ModelForm):
    class Meta:
        model = Goal
        fields = ["kind", "name", "target_amount", "currency", "target_date", "linked_accounts", "funded_amount",
                  "expected_return_pct"]
        widgets = {"target_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args, client, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["linked_accounts"].queryset = Account.objects.filter(client=client).select_related("institution")
        self.fields["linked_accounts"].required = False
        self.helper = _helper(submit_label=_("Save goal"))
        self.helper.layout = Layout(
            Row(Column("kind", css_class="col-md-4"), Column("name", css_class="col-md-8")),
            Row(Column("target_amount", css_class="col-md-4"), Column("currency", css_class="col-md-2"),
                Column("target_date", css_class="col-md-3"), Column("expected_return_pct", css_class="col-md-3")),
            Row(Column("linked_accounts", css_class="col-md-8"), Column("funded_amount", css_class="col-md-4")),
        )

    def clean_currency(self):
        return self.cleaned_data["currency"].strip().upper()


class StopLossForm(forms.ModelForm):
    class Meta:
        model = Holding
        fields = ["stop_loss_price", "stop_loss_pct"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stop_loss_price"].help_text = _("Leave blank for none.")
        self.helper = _helper(submit_label=_("Save stop-loss"))


class DrawdownLimitForm(forms.ModelForm):
    class Meta:
        model = DrawdownLimit
        fields = ["max_drawdown_pct"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["max_drawdown_pct"].help_text = _("From the portfolio's peak AUM, in percent.")
        self.helper = _helper(submit_label=_("Save drawdown limit"))


# --- Investor suitability ----------------------------------------------------------------


class SuitabilityExceptionForm(forms.Form):
    """The reason and the client's acknowledgement of a product rated above their level; whether
    an exception is needed and complete is the service's to say (``services.ExceptionTerms``)."""

    reason = forms.CharField(label=_("Reason for the exception"), required=False, max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2}))
    client_acknowledged = forms.BooleanField(
        label=_("The client has been told this product is above their risk level and acknowledged it"),
        required=False)
    client_acknowledged_on = forms.DateField(label=_("Acknowledged on"), required=False,
                                             widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def __init__(self, *args, submit_label=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client_acknowledged_on"].initial = timezone.localdate
        self.helper = _helper(submit_label=submit_label)
        self.helper.form_tag = submit_label is not None
        self.helper.layout = Layout(
            "reason",
            Row(Column("client_acknowledged", css_class="col-md-8"), Column("client_acknowledged_on", css_class="col-md-4")),
        )

    def terms(self) -> ExceptionTerms:
        return ExceptionTerms(reason=self.cleaned_data["reason"],
                              client_acknowledged=self.cleaned_data["client_acknowledged"],
                              client_acknowledged_on=self.cleaned_data["client_acknowledged_on"])


class ProductSelect(forms.Select):
    """A product choice whose options above the client's level carry ``data-unsuitable`` (the page's
    script shows the exception fields for them)."""

    def __init__(self, *args, unsuitable: frozenset[str] = frozenset(), **kwargs):
        super().__init__(*args, **kwargs)
        self.unsuitable = unsuitable

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        if str(value) in self.unsuitable:
            option["attrs"]["data-unsuitable"] = "true"
        return option


class ProductChoiceField(forms.ModelChoiceField):
    unsuitable: frozenset[str] = frozenset()

    def label_from_instance(self, instrument):
        label = f"{instrument.code} {instrument.name} · {instrument.risk_rating or _('unrated')}"
        if str(instrument.pk) in self.unsuitable:
            label += f" · {_('above the client’s risk level')}"
        return label


class ProposalLineForm(forms.Form):
    """The product to propose on one buy line of a rebalance plan (optional), with those rated above
    the client's level marked."""

    product = ProductChoiceField(label=_("Product"), required=False, queryset=Instrument.objects.none(),
                                 empty_label=_("No product named"))

    def __init__(self, *args, trade, client, **kwargs):
        super().__init__(*args, **kwargs)
        self.trade = trade
        products = list(Instrument.objects.filter(asset_class=trade.asset_class).order_by("risk_rating", "code"))
        self.unsuitable = frozenset(str(i.pk) for i in products
                                    if not selectors.instrument_suitable(client=client, instrument=i))
        field = self.fields["product"]
        field.unsuitable = self.unsuitable
        field.widget = ProductSelect(unsuitable=self.unsuitable, attrs={"data-product-for": trade.asset_class})
        field.queryset = Instrument.objects.filter(asset_class=trade.asset_class).order_by("risk_rating", "code")

    @property
    def unsuitable_chosen(self) -> bool:
        return str(self["product"].value() or "") in self.unsuitable


class RebalanceLines:
    """The plan's trades, each buy with its product form and exception form (prefixed by asset class).

    A line's forms are bound only once the page has shown them (its fields are in the POST), so the
    first preview starts from their initial values."""

    def __init__(self, data, *, plan, client):
        self.rows = []
        for trade in plan:
            if trade.action != RebalanceTrade.Action.BUY:
                self.rows.append((trade, None, None))
                continue
            prefix = trade.asset_class
            bound = data if any(key.startswith(f"{prefix}-") for key in data) else None
            self.rows.append((trade, ProposalLineForm(bound, prefix=prefix, trade=trade, client=client),
                              SuitabilityExceptionForm(bound, prefix=prefix)))
        self.lines = [(line, exception) for _trade, line, exception in self.rows if line is not None]

    def is_valid(self) -> bool:
        """Every shown line's forms are valid (each is checked, so each shows its errors); a line not
        shown yet names no product."""
        return all([form.is_valid() for line in self.lines for form in line if form.is_bound])

    def products(self) -> dict:
        return {line.trade.asset_class: line.cleaned_data["product"]
                for line, _exception in self.lines if line.is_bound and line.cleaned_data["product"] is not None}

    def exceptions(self) -> dict:
        """Every shown line's terms; the service reads those of the lines whose product needs one."""
        return {line.trade.asset_class: exception.terms() for line, exception in self.lines if exception.is_bound}


class AlertFilterForm(forms.Form):
    """The alerts page's filters, read from the query string; an invalid value counts as unset."""

    kind = forms.ChoiceField(label=_("Kind"), required=False)
    severity = forms.TypedChoiceField(label=_("Severity"), required=False, coerce=int, empty_value=None)
    client = forms.ModelChoiceField(label=_("Client"), required=False, queryset=Client.objects.none(),
                                    widget=ClientPicker(scope=ClientPicker.VISIBLE))
    rm = forms.ModelChoiceField(label=_("Primary RM"), required=False, queryset=None)
    unacknowledged = forms.BooleanField(label=_("Only not yet acknowledged"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        any_label = [("", _("Any"))]
        self.fields["kind"].choices = any_label + list(Alert.Kind.choices)
        self.fields["severity"].choices = any_label + sorted(AlertSeverity.choices, reverse=True)
        self.fields["client"].queryset = client_list_visible(user=user)
        self.fields["rm"].queryset = access.manager_list_filterable(user=user).order_by(
            "first_name", "last_name", "username")
        self.fields["rm"].empty_label = _("Any")
        self.fields["rm"].label_from_instance = str
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.disable_csrf = True
        self.helper.form_class = "mb-3"
        self.helper.layout = Layout(Row(
            Column("kind", css_class="col-md-3"), Column("severity", css_class="col-md-2"),
            Column("client", css_class="col-md-3"), Column("rm", css_class="col-md-2"),
            Column("unacknowledged", css_class="col-md-2 align-self-center"),
        ))
        self.helper.add_input(Submit("filter", _("Filter"), css_class="btn-secondary"))

    def selector_params(self) -> dict:
        """The cleaned values for ``selectors.alert_list_filter``; an invalid field counts as unset."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return {name: self.cleaned_data.get(name) for name in self.fields if name not in self.errors}


class CashFlowForm(forms.ModelForm):
    """A contribution or withdrawal; the service refuses a future date and fixes the base-currency amount."""

    class Meta:
        model = CashFlow
        fields = ["kind", "flow_date", "amount", "currency", "account", "note"]
        widgets = {"flow_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args, client, action: str = "", **kwargs):
        kwargs.setdefault("instance", CashFlow(client=client))
        kwargs.setdefault("initial", {"flow_date": timezone.localdate(), "currency": selectors.base_currency()})
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = Account.objects.filter(client=client).select_related("institution")
        self.fields["account"].required = False
        self.fields["amount"].widget.attrs["min"] = "0.01"
        self.helper = _helper(submit_label=_("Record"))
        self.helper.form_id = "cash-flow-record"
        if action:
            self.helper.form_action = action
        self.helper.layout = Layout(
            Row(Column("kind", css_class="col-sm-6 col-lg-3"), Column("flow_date", css_class="col-sm-6 col-lg-3"),
                Column("amount", css_class="col-sm-8 col-lg-4"), Column("currency", css_class="col-sm-4 col-lg-2")),
            Row(Column("account", css_class="col-md-6"), Column("note", css_class="col-md-6")),
        )

    def clean_currency(self):
        return self.cleaned_data["currency"].strip().upper()
