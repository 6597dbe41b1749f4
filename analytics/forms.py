"""Forms of the client value page: crispy layout and single-field checks; the rules live in services."""

from decimal import Decimal

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row, Submit
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.access import client_list_visible
from crm.pickers import ClientPicker

from .models import CostRecord, Opportunity, ProspectEstimate, Referral, RevenueRecord

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _helper(form, *, action: str, testid: str, submit: str, layout: Layout) -> FormHelper:
    helper = FormHelper()
    helper.form_method = "post"
    helper.form_action = action
    helper.attrs = {"data-testid": testid}
    helper.layout = layout
    helper.add_input(Submit("submit", submit))
    return helper


class _AmountMixin:
    """Amounts are positive and currencies ISO codes, with messages that say so."""

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount is not None and amount <= 0:
            raise forms.ValidationError(_("Enter an amount above zero."), code="not_positive")
        return amount

    def clean_currency(self):
        return self.cleaned_data["currency"].strip().upper()


class CostForm(_AmountMixin, forms.ModelForm):
    class Meta:
        model = CostRecord
        fields = ["year", "kind", "amount", "currency", "description"]

    def __init__(self, *args, action: str = "", **kwargs):
        kwargs.setdefault("initial", {}).setdefault("year", timezone.localdate().year)
        super().__init__(*args, **kwargs)
        self.fields["description"].help_text = _("Required for “other” costs.")
        self.helper = _helper(self, action=action, testid="cost-form", submit=_("Record cost"), layout=Layout(
            Row(Column("year", css_class="col-sm-4"), Column("kind", css_class="col-sm-8")),
            Row(Column("amount", css_class="col-8"), Column("currency", css_class="col-4")),
            "description"))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") == CostRecord.Kind.OTHER and not (cleaned.get("description") or "").strip():
            self.add_error("description", _("Say what an “other” cost was."))
        return cleaned


class RevenueForm(_AmountMixin, forms.ModelForm):
    class Meta:
        model = RevenueRecord
        fields = ["year", "amount", "currency", "description"]

    def __init__(self, *args, action: str = "", **kwargs):
        kwargs.setdefault("initial", {}).setdefault("year", timezone.localdate().year)
        super().__init__(*args, **kwargs)
        self.fields["description"].help_text = _("e.g. insurance commission, FX spread, loan interest margin.")
        self.helper = _helper(self, action=action, testid="revenue-form", submit=_("Record revenue"), layout=Layout(
            Row(Column("year", css_class="col-sm-3"), Column("amount", css_class="col-8 col-sm-6"),
                Column("currency", css_class="col-4 col-sm-3")),
            "description"))


class ReferralForm(forms.ModelForm):
    class Meta:
        model = Referral
        fields = ["referred", "referred_on", "value", "currency", "note"]
        widgets = {"referred_on": DATE, "referred": ClientPicker(scope=ClientPicker.VISIBLE)}

    def __init__(self, *args, user, referrer, action: str = "", **kwargs):
        kwargs.setdefault("initial", {}).setdefault("referred_on", timezone.localdate())
        super().__init__(*args, **kwargs)
        self.referrer = referrer
        self.fields["referred"].queryset = client_list_visible(user=user)
        self.fields["referred"].label = _("Referred client (whom this client introduced)")
        self.helper = _helper(self, action=action, testid="referral-form", submit=_("Record referral"),
                              layout=Layout("referred", Row(
                                  Column("referred_on", css_class="col-sm-4"), Column("value", css_class="col-8 col-sm-5"),
                                  Column("currency", css_class="col-4 col-sm-3")), "note"))

    def clean_referred(self):
        referred = self.cleaned_data["referred"]
        if referred is not None and referred.pk == self.referrer.pk:
            raise forms.ValidationError(_("A client cannot refer themselves."), code="self")
        if referred is not None and Referral.objects.filter(referred=referred).exists():
            raise forms.ValidationError(_("This client's referral is already recorded."), code="unique")
        return referred

    def clean_referred_on(self):
        referred_on = self.cleaned_data["referred_on"]
        if referred_on and referred_on > timezone.localdate():
            raise forms.ValidationError(_("The referral date cannot be in the future."), code="future")
        return referred_on

    def clean_value(self):
        value = self.cleaned_data["value"]
        if value is not None and value < 0:
            raise forms.ValidationError(_("A referral value cannot be negative."), code="negative")
        return value

    def clean_currency(self):
        return self.cleaned_data["currency"].strip().upper()


class ProspectForm(forms.ModelForm):
    class Meta:
        model = ProspectEstimate
        fields = ["purchase_amount", "currency", "wallet_share_pct", "margin_pct", "transactions_per_year"]

    def __init__(self, *args, action: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(self, action=action, testid="prospect-form", submit=_("Save estimate"), layout=Layout(
            Row(Column("purchase_amount", css_class="col-8"), Column("currency", css_class="col-4")),
            Row(Column("wallet_share_pct", css_class="col-sm-4"), Column("margin_pct", css_class="col-sm-4"),
                Column("transactions_per_year", css_class="col-sm-4"))))

    def _percent(self, name: str, what: str) -> Decimal:
        value = self.cleaned_data[name]
        if value is not None and not Decimal("0") < value <= Decimal("100"):
            raise forms.ValidationError(_("%(what)s is a percentage above 0 and at most 100.") % {"what": what},
                                        code="percent_range")
        return value

    def clean_purchase_amount(self):
        value = self.cleaned_data["purchase_amount"]
        if value is not None and value <= 0:
            raise forms.ValidationError(_("Enter an amount above zero."), code="not_positive")
        return value

    def clean_wallet_share_pct(self):
        return self._percent("wallet_share_pct", _("The share of wallet (K)"))

    def clean_margin_pct(self):
        return self._percent("margin_pct", _("The contribution margin (M)"))

    def clean_transactions_per_year(self):
        value = self.cleaned_data["transactions_per_year"]
        if value is not None and value <= 0:
            raise forms.ValidationError(_("Enter how many transactions a year, above zero."), code="not_positive")
        return value

    def clean_currency(self):
        return self.cleaned_data["currency"].strip().upper()


class OpportunityForm(_AmountMixin, forms.ModelForm):
    """A new opportunity: it starts at one of the open stages (won and lost are reached by moving it)."""

    class Meta:
        model = Opportunity
        fields = ["product", "amount", "currency", "stage", "expected_close_on", "notes"]
        widgets = {"expected_close_on": DATE, "notes": forms.TextInput()}

    def __init__(self, *args, action: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage"].choices = [(stage.value, stage.label) for stage in Opportunity.OPEN]
        self.helper = _helper(self, action=action, testid="opportunity-form", submit=_("Record opportunity"),
                              layout=Layout(
                                  "product",
                                  Row(Column("amount", css_class="col-8 col-sm-5"),
                                      Column("currency", css_class="col-4 col-sm-3"),
                                      Column("stage", css_class="col-sm-4")),
                                  Row(Column("expected_close_on", css_class="col-sm-5"),
                                      Column("notes", css_class="col-sm-7"))))


class OpportunityStageForm(forms.Form):
    stage = forms.ChoiceField(label=_("stage"), choices=Opportunity.Stage.choices)
