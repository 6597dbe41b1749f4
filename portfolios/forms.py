"""Forms of client assets: crispy layout and single-field validation; the rules live in services."""

from decimal import Decimal

from crispy_forms.bootstrap import StrictButton
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row, Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from dataimport.forms import ImportUploadForm

from .models import Account, DrawdownLimit, Goal, Holding, RebalanceProposal


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
        self.helper.layout = Layout(
            Row(Column("minimum_trade", css_class="col-md-4"), Column("notes", css_class="col-md-8")),
            StrictButton(_("Preview trades"), type="submit", name="action", value="preview",
                         css_class="btn btn-outline-primary me-2"),
            StrictButton(_("Save proposal"), type="submit", name="action", value="save", css_class="btn btn-primary",
                         data_testid="save-proposal"),
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
