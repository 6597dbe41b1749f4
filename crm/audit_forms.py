"""Filters of the compliance audit pages, read from the query string; bad values are dropped."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row
from django import forms
from django.utils.translation import gettext_lazy as _

from . import audit
from .forms import StaffChoiceField
from .models import SensitiveView, User


class AuditFilterForm(forms.Form):
    user = StaffChoiceField(label=_("Staff member"), queryset=User.objects.order_by("first_name", "last_name",
                                                                                     "username"), required=False)
    client = forms.CharField(label=_("Client"), max_length=200, required=False,
                             help_text=_("Client number or part of the legal name."))
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(Row(*(Column(name, css_class="col-md") for name in self.fields)))

    def selector_params(self) -> dict:
        """The valid filters as keyword arguments of the audit selectors."""
        self.is_valid()  # an invalid filter is left out: cleaned_data holds the valid ones
        data = self.cleaned_data
        params = {"user_id": data["user"].pk if data.get("user") else None,
                  "date_from": data.get("date_from"), "date_to": data.get("date_to")}
        if (data.get("client") or "").strip():
            params["client_ids"] = audit.client_ids_matching(data["client"])
        return params


class ChangeFilterForm(AuditFilterForm):
    model = forms.ChoiceField(label=_("Record"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["model"].choices = [("", _("All records")), *audit.history_source_choices()]
        self.helper.layout = Layout(Row(*(Column(name, css_class="col-md") for name in self.fields)))

    def selector_params(self) -> dict:
        params = super().selector_params()
        model = self.cleaned_data.get("model")
        if model:
            params["source_keys"] = [model]
        return params


class ViewFilterForm(AuditFilterForm):
    what = forms.ChoiceField(label=_("What"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["what"].choices = [("", _("Everything")), *SensitiveView.What.choices]
        self.helper.layout = Layout(Row(*(Column(name, css_class="col-md") for name in self.fields)))

    def selector_params(self) -> dict:
        params = super().selector_params()
        params["what"] = self.cleaned_data.get("what") or ""
        return params
