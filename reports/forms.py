"""The reports' filters, read from the query string; a bad value counts as unset, never an error page."""

from crispy_forms.bootstrap import StrictButton
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row
from django import forms
from django.utils.translation import gettext_lazy as _

from crm import access
from crm.models import Client

from . import selectors


class _FilterForm(forms.Form):
    """A GET filter form laid out in one row, with a Show button."""

    columns: tuple[tuple[str, str], ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.disable_csrf = True
        self.helper.layout = Layout(Row(
            *[Column(name, css_class=css) for name, css in self.columns],
            Column(StrictButton(_("Show"), type="submit", css_class="btn-primary mb-3"), css_class="col-sm-auto d-flex align-items-end"),
        ))

    def value(self, name: str, default=""):
        """The cleaned value of one field, or ``default`` when missing or invalid."""
        self.is_valid()
        if name in self.errors:
            return default
        return self.cleaned_data.get(name) or default


def _manager_choices(user) -> list[tuple[str, str]]:
    managers = access.manager_list_filterable(user=user).order_by("first_name", "last_name", "username")
    return [("", _("Any"))] + [(str(m.pk), str(m)) for m in managers]


class TeamDashboardForm(_FilterForm):
    team = forms.ChoiceField(label=_("Team"), required=False)
    columns = (("team", "col-sm-6 col-lg-4"),)

    def __init__(self, *args, teams, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].choices = [("", _("All my teams"))] + [(str(t.pk), t.name) for t in teams]

    def team_id(self) -> int | None:
        value = self.value("team")
        return int(value) if value else None


AUM_HEADINGS = {"tier": _("AUM by tier"), "rm": _("AUM by relationship manager"),
                "asset_class": _("AUM by asset class")}


class AumReportForm(_FilterForm):
    by = forms.ChoiceField(label=_("Group by"), required=False, choices=[
        ("tier", _("AUM tier")), ("rm", _("Relationship manager")), ("asset_class", _("Asset class"))])
    tier = forms.ChoiceField(label=_("AUM tier"), required=False)
    rm = forms.ChoiceField(label=_("Primary RM"), required=False)
    columns = (("by", "col-sm-4 col-lg-3"), ("tier", "col-sm-4 col-lg-3"), ("rm", "col-sm-4 col-lg-3"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tier"].choices = [("", _("Any"))] + list(Client.AumTier.choices)
        self.fields["rm"].choices = _manager_choices(user)

    def dimension(self) -> str:
        value = self.value("by", "tier")
        return value if value in AUM_HEADINGS else "tier"

    def heading(self) -> str:
        return AUM_HEADINGS[self.dimension()]

    def client_params(self) -> dict:
        return {"tier": self.value("tier"), "rm": self.value("rm")}


class ReviewComplianceForm(_FilterForm):
    group = forms.ChoiceField(label=_("Per"), required=False, choices=[
        ("rm", _("Relationship manager")), ("team", _("Team"))])
    rm = forms.ChoiceField(label=_("Primary RM"), required=False)
    columns = (("group", "col-sm-4 col-lg-3"), ("rm", "col-sm-4 col-lg-3"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rm"].choices = _manager_choices(user)

    def grouping(self) -> str:
        value = self.value("group", "rm")
        return value if value in selectors.REVIEW_GROUPS else "rm"

    def client_params(self) -> dict:
        return {"rm": self.value("rm")}
