"""Forms of the client registry: crispy layout and single-field validation; the rules live in services."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Fieldset, Layout, Row, Submit
from django import forms
from django.core.exceptions import ValidationError
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from .scales import RiskLevel

from . import access, selectors, services
from .models import Assignment, Client, Household, HouseholdMember, Tag
from .pickers import ClientMultiplePicker


def _helper(*, submit_label, action: str = "", method: str = "post") -> FormHelper:
    helper = FormHelper()
    helper.form_method = method
    helper.form_action = action
    helper.add_input(Submit("submit", submit_label))
    return helper


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user):
        return str(user)


class StaffMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, user):
        return str(user)


# ---------------------------------------------------------------------------
# Client list filter
# ---------------------------------------------------------------------------

# The filter choices that do not depend on the user, built once per process: their labels are lazy,
# so each request still shows them in its own language.
_ANY = [("", _("Any"))]
_FILTER_CHOICES = {
    "tier": _ANY + list(Client.AumTier.choices),
    "risk": _ANY + [(selectors.RISK_NOT_ASSESSED, _("Not assessed"))] + list(RiskLevel.choices),
    "lifecycle": _ANY + list(Client.LifecycleStage.choices),
    "goal": _ANY + list(Client.InvestmentGoal.choices),
    "liquidity": _ANY + list(Client.LiquidityNeed.choices),
    "returns": _ANY + list(Client.ReturnExpectation.choices),
    "status": [("", _("Active and inactive")), *Client.Status.choices,
               (selectors.STATUS_ALL, _("All, including merged"))],
    "sort": [("", "")] + [(key, key) for name in selectors.CLIENT_SORTS for key in (name, f"-{name}")],
}
# The filter form's grid (crm/templates/crm/includes/client_filter_form.html): rows of (field, column class).
_FILTER_ROWS = [
    [("q", "col-md-4"), ("tier", "col-md-2"), ("risk", "col-md-2"), ("lifecycle", "col-md-2"),
     ("status", "col-md-2")],
    [("goal", "col-md-2"), ("liquidity", "col-md-2"), ("returns", "col-md-2"), ("rm", "col-md-3"),
     ("tags", "col-md-3")],
]


class ClientFilterForm(forms.Form):
    """The client list's search and filters, read from the query string; bad values are dropped.

    The client list renders it through ``layout()`` and a hand-written include (the same markup
    crispy's Bootstrap 5 pack wrote, field ids and names unchanged): crispy's template per field and
    Django's template per ``<option>`` cost about a quarter of the list page's time."""

    q = forms.CharField(label=_("Search"), required=False, max_length=200, widget=forms.TextInput(
        attrs={"placeholder": _("Name, ID number, phone or e-mail"), "type": "search"}))
    tier = forms.ChoiceField(label=_("AUM tier"), required=False)
    risk = forms.ChoiceField(label=_("Risk level"), required=False)
    lifecycle = forms.ChoiceField(label=_("Lifecycle stage"), required=False)
    rm = forms.ChoiceField(label=_("Primary RM"), required=False)
    goal = forms.ChoiceField(label=_("Investment goal"), required=False)
    liquidity = forms.ChoiceField(label=_("Liquidity need"), required=False)
    returns = forms.ChoiceField(label=_("Return expectation"), required=False)
    tags = forms.ModelMultipleChoiceField(label=_("Tags"), required=False, queryset=Tag.objects.all(),
                                          widget=forms.SelectMultiple(attrs={"size": 3}))
    status = forms.ChoiceField(label=_("Status"), required=False)
    sort = forms.ChoiceField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        for name, choices in _FILTER_CHOICES.items():
            self.fields[name].choices = choices
        # Values, not users: an administrator's ~110 RMs as model instances (dates parsed) cost ~3 ms a page.
        managers = access.manager_list_filterable(user=user).order_by("first_name", "last_name", "username") \
            .values_list("pk", "first_name", "last_name", "username")
        self.fields["rm"].choices = _ANY + [(selectors.MANAGER_NONE, _("Unassigned"))] + [
            (str(pk), f"{first} {last}".strip() or username) for pk, first, last, username in managers]

    def layout(self) -> list[list[dict]]:
        """Rows of fields for the include: each its column class, id, label, control markup and errors."""
        return [[self._cell(name, column) for name, column in row] for row in _FILTER_ROWS]

    # Fixed attributes, made safe the way every other piece of markup here is (no mark_safe in our code).
    _SELECTED = format_html(" {}", "selected")
    _MULTIPLE = format_html(' size="{}" multiple', 3)

    def sort_input(self) -> str:
        value = self["sort"].value()
        return format_html('<input type="hidden" name="sort"{} id="id_sort">',
                           format_html(' value="{}"', value) if value else "")

    def _cell(self, name: str, column: str) -> dict:
        field, errors = self.fields[name], self.errors.get(name) if self.is_bound else None
        invalid = format_html(' aria-invalid="true" aria-describedby="id_{}_error"', name) if errors else ""
        value = self[name].value()
        if name == "q":
            control = format_html(
                '<input type="search" name="q"{} placeholder="{}" maxlength="{}" class="textinput form-control{}"{}'
                ' id="id_q">', format_html(' value="{}"', value) if value else "",
                field.widget.attrs["placeholder"], field.max_length, " is-invalid" if errors else "", invalid)
        else:
            multiple = name == "tags"
            chosen = {str(v) for v in value or ()} if multiple else {"" if value is None else str(value)}
            choices = [(str(tag.pk), str(tag)) for tag in field.queryset] if multiple else field.choices
            options = format_html_join("", '<option value="{}"{}>{}</option>', (
                (key, self._SELECTED if key in chosen else "", label) for key, label in choices))
            control = format_html(
                '<select name="{}"{} class="{} form-select{}"{} id="id_{}">{}</select>', name,
                self._MULTIPLE if multiple else "", "selectmultiple" if multiple else "select",
                " is-invalid" if errors else "", invalid, name, options)
        return {"name": name, "column": column, "label": field.label, "control": control, "errors": errors or ()}

    def selector_params(self) -> dict:
        """The cleaned values for ``selectors.client_list_search``; an invalid filter counts as unset,
        but an invalid search (too long, a NUL byte) matches nothing: dropping it would list every client."""
        self.is_valid()
        params = {name: self.cleaned_data.get(name) for name in self.fields if name not in self.errors}
        if "q" in self.errors:
            params[selectors.SEARCH_INVALID] = True
        return params


class SavedFilterForm(forms.Form):
    name = forms.CharField(label=_("Name of this filter"), max_length=100)
    query_string = forms.CharField(widget=forms.HiddenInput, required=False, max_length=1000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(submit_label=_("Save this filter"), action=reverse("crm:saved-filter-save"))
        self.helper.form_class = "d-flex gap-2 align-items-end"


# ---------------------------------------------------------------------------
# Client create / edit
# ---------------------------------------------------------------------------

class ClientForm(forms.ModelForm):
    """The client's own data; AUM, tier, risk level, RM and lifecycle change through their own pages."""

    primary_manager = StaffChoiceField(
        label=_("Primary relationship manager"), queryset=get_user_model().objects.none(), required=False,
        help_text=_("Leave empty to keep the client unassigned."),
    )

    class Meta:
        model = Client
        fields = [*services.CLIENT_EDITABLE_FIELDS, "tags"]
        widgets = {
            "birth_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "kyc_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "address": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        creating = self.instance.pk is None
        assignable = access.manager_list_assignable(user=user)
        # Only a lead or administrator creating a client picks its RM; an RM's new client is theirs.
        if creating and assignable.exists():
            self.fields["primary_manager"].queryset = assignable.order_by("first_name", "last_name")
        else:
            del self.fields["primary_manager"]
        if not creating and not access.may_see_full_pii(user=user, client=self.instance):
            # Whoever sees these numbers masked (a lead, for a team member's client) does not get them in
            # full through the edit form either: they stay as they are; the client's RM changes them.
            del self.fields["id_number"], self.fields["phone"]
        self.helper = _helper(submit_label=_("Create client") if creating else _("Save changes"))
        self.helper.layout = Layout(
            Fieldset(
                _("Identity"),
                Row(Column("kind", css_class="col-md-3"), Column("legal_name", css_class="col-md-5"),
                    Column("preferred_name", css_class="col-md-4")),
                Row(*self._columns(("id_type", "col-md-4"), ("id_number", "col-md-4"), ("birth_date", "col-md-4"))),
            ),
            Fieldset(
                _("Contact"),
                Row(*self._columns(("phone", "col-md-4"), ("email", "col-md-8"))),
                "address",
            ),
            Fieldset(
                _("Profile and KYC"),
                Row(Column("occupation", css_class="col-md-4"), Column("industry", css_class="col-md-4"),
                    Column("income_band", css_class="col-md-4")),
                Row(Column("source_of_funds", css_class="col-md-6"), Column("kyc_status", css_class="col-md-3"),
                    Column("kyc_date", css_class="col-md-3")),
            ),
            Fieldset(
                _("Segments"),
                Row(Column("investment_preference", css_class="col-md-3"),
                    Column("investment_goal", css_class="col-md-3"),
                    Column("liquidity_need", css_class="col-md-3"),
                    Column("return_expectation", css_class="col-md-3")),
            ),
            Fieldset(_("Other"), *(["primary_manager"] if "primary_manager" in self.fields else []), "tags",
                     "notes"),
        )

    def _get_validation_exclusions(self):
        # The ID document's uniqueness is the service's to check, on the normalised number and without
        # telling an RM that someone they may not see holds it (the model constraint would).
        return {*super()._get_validation_exclusions(), "id_type"}

    def service_fields(self) -> dict:
        """The fields for ``client_create`` / ``client_update``, as typed: the service normalises names,
        phone, e-mail and ID number, and its errors come back on their fields (``form_errors_add``)."""
        return {name: self.cleaned_data[name] for name in services.CLIENT_EDITABLE_FIELDS if name in self.fields}

    def _columns(self, *columns) -> list:
        return [Column(name, css_class=css) for name, css in columns if name in self.fields]


# ---------------------------------------------------------------------------
# Lifecycle, assignment, handover
# ---------------------------------------------------------------------------

class LifecycleTransitionForm(forms.Form):
    to_stage = forms.ChoiceField(label=_("New stage"))
    reason = forms.CharField(label=_("Reason"), max_length=255)

    def __init__(self, *args, client: Client, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_stage"].choices = selectors.lifecycle_stages_next(client=client)
        self.helper = _helper(submit_label=_("Change stage"),
                              action=reverse("crm:client-lifecycle", args=[client.pk]))


class ReassignForm(forms.Form):
    manager = StaffChoiceField(label=_("Relationship manager"), queryset=get_user_model().objects.none())
    role = forms.ChoiceField(label=_("Role"), choices=Assignment.Role.choices, initial=Assignment.Role.PRIMARY)
    reason = forms.CharField(label=_("Reason"), max_length=255)

    def __init__(self, *args, user, client: Client, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["manager"].queryset = access.manager_list_assignable(user=user).order_by(
            "first_name", "last_name")
        self.helper = _helper(submit_label=_("Assign"), action=reverse("crm:client-reassign", args=[client.pk]))


class HandoverForm(forms.Form):
    """Step one of a bulk handover: who leaves, which clients, who takes over, why."""

    leaving_manager = StaffChoiceField(label=_("Leaving relationship manager"),
                                       queryset=get_user_model().objects.none())
    scope = forms.ChoiceField(
        label=_("Clients"), widget=forms.RadioSelect, initial="all",
        choices=[("all", _("All of their clients")), ("selected", _("Only the clients selected below"))],
    )
    clients = forms.ModelMultipleChoiceField(
        label=_("Selected clients"), required=False, queryset=Client.objects.none(),
        widget=ClientMultiplePicker(scope=ClientMultiplePicker.EDITABLE),
        help_text=_("Search by name, phone, ID or client number (used only for “selected”)."),
    )
    targets = StaffMultipleChoiceField(label=_("Relationship managers who take over"),
                                       queryset=get_user_model().objects.none(),
                                       widget=forms.SelectMultiple(attrs={"data-picker": "choices"}))
    reason = forms.CharField(label=_("Reason"), max_length=255)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        staff = access.manager_list_assignable(user=user).order_by("first_name", "last_name")
        self.fields["leaving_manager"].queryset = staff
        self.fields["targets"].queryset = staff
        self.fields["clients"].queryset = access.client_list_editable(user=user)
        self.helper = _helper(submit_label=_("Preview handover"), action=reverse("crm:handover"))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("scope") == "selected" and not cleaned.get("clients"):
            self.add_error("clients", _("Enter the clients to hand over, or choose all of them."))
        leaving, targets = cleaned.get("leaving_manager"), cleaned.get("targets")
        if leaving and targets and leaving in targets:
            self.add_error("targets", _("The leaving relationship manager cannot take over their own clients."))
        return cleaned

    def client_ids(self) -> list[int] | None:
        return [c.pk for c in self.cleaned_data["clients"]] if self.cleaned_data["scope"] == "selected" else None


# ---------------------------------------------------------------------------
# Households
# ---------------------------------------------------------------------------

class HouseholdForm(forms.ModelForm):
    class Meta:
        model = Household
        fields = ["name", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, action: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(submit_label=_("Save household"), action=action)


class HouseholdCreateForm(HouseholdForm):
    relationship = forms.ChoiceField(label=_("This client's relationship"),
                                     choices=HouseholdMember.Relationship.choices,
                                     initial=HouseholdMember.Relationship.HEAD)

    class Meta(HouseholdForm.Meta):
        fields = ["name", "relationship", "notes"]


class HouseholdMemberAddForm(forms.Form):
    """Find the client to add by name, ID number, phone or e-mail among those the user may edit."""

    client = forms.CharField(label=_("Client"), max_length=200,
                             help_text=_("Name, ID number, phone or e-mail; it must match exactly one client."))
    relationship = forms.ChoiceField(label=_("Relationship"), choices=HouseholdMember.Relationship.choices,
                                     initial=HouseholdMember.Relationship.SPOUSE)

    def __init__(self, *args, user, household: Household, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.helper = _helper(submit_label=_("Add member"),
                              action=reverse("crm:household-member-add", args=[household.pk]))

    def clean_client(self):
        editable = access.client_list_editable(user=self.user).values("pk")
        matches = list(
            selectors.client_list_search(user=self.user, params={"q": self.cleaned_data["client"]})
            .filter(pk__in=editable)[:2]
        )
        if not matches:
            raise forms.ValidationError(_("No client you serve matches this."))
        if len(matches) > 1:
            raise forms.ValidationError(_("More than one client matches; enter the ID number or phone."))
        return matches[0]


def form_errors_add(form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: on its field when the form has one."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)
