"""Forms of the feedback work: the public feedback form and the staff's complaint forms.
Single-field checks only; the rules (state machine, SLA, who may be assigned) live in feedback_services."""

from crispy_forms.bootstrap import StrictButton
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Field, Layout, Row, Submit
from django import forms
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from crm.forms import StaffChoiceField

from . import feedback_selectors as selectors
from .feedback_services import complaint_statuses_next
from .models import Complaint
from .models.feedback import COMMENTS_MAX_LENGTH

SCORE_BUTTONS = "communications/feedback/score_buttons.html"


def _helper(*, submit_label, action: str = "") -> FormHelper:
    helper = FormHelper()
    helper.form_method = "post"
    helper.form_action = action
    helper.add_input(Submit("submit", submit_label))
    return helper


class FeedbackForm(forms.Form):
    """The client's answers. Each question may be skipped, but not all of them; a complaint needs words."""

    nps = forms.TypedChoiceField(
        label=_("How likely are you to recommend us to a friend or colleague?"),
        help_text=_("0 = not at all likely, 10 = extremely likely"),
        choices=[(str(n), str(n)) for n in range(11)], coerce=int, required=False, empty_value=None,
        widget=forms.RadioSelect(attrs={"class": "btn-check"}))
    csat = forms.TypedChoiceField(
        label=_("How satisfied are you with our service overall?"),
        help_text=_("1 = very dissatisfied, 5 = very satisfied"),
        choices=[(str(n), str(n)) for n in range(1, 6)], coerce=int, required=False, empty_value=None,
        widget=forms.RadioSelect(attrs={"class": "btn-check"}))
    comments = forms.CharField(
        label=_("Comments"), required=False, max_length=COMMENTS_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}))
    is_complaint = forms.BooleanField(
        label=_("This is a complaint"), required=False,
        help_text=_("Tick this if you want us to investigate and get back to you."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # No maxlength on the text area: a longer text gets the form's clear message, not a silent cut.
        self.fields["comments"].widget.attrs.pop("maxlength", None)
        self.fields["comments"].help_text = gettext("At most %(limit)s characters.") % {"limit": COMMENTS_MAX_LENGTH}
        self.helper = _helper(submit_label=_("Send feedback"))
        self.helper.inputs[0].field_classes = "btn btn-primary btn-lg w-100"
        self.helper.layout = Layout(
            Field("nps", template=SCORE_BUTTONS), Field("csat", template=SCORE_BUTTONS), "comments", "is_complaint")

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        if data.get("nps") is None and data.get("csat") is None and not data.get("comments", "").strip():
            raise forms.ValidationError(_("Please answer at least one question or leave a comment."))
        if data.get("is_complaint") and not data.get("comments", "").strip():
            self.add_error("comments", _("Tell us what went wrong, so that we can look into your complaint."))
        return data


class FeedbackLinkForm(forms.Form):
    """The client panel's two buttons: show the link to copy, or e-mail it to the client."""

    COPY, EMAIL = "copy", "email"
    delivery = forms.ChoiceField(choices=[(COPY, COPY), (EMAIL, EMAIL)])

    def __init__(self, *args, client, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_action = reverse("communications:feedback-link-create", kwargs={"client_pk": client.pk})
        self.helper.form_class = "d-flex flex-wrap gap-2"
        self.helper.layout = Layout(
            StrictButton(_("Get a feedback link"), type="submit", name="delivery", value=self.COPY,
                         css_class="btn btn-sm btn-outline-primary", data_testid="feedback-link-copy"),
            StrictButton(_("E-mail a feedback link"), type="submit", name="delivery", value=self.EMAIL,
                         css_class="btn btn-sm btn-outline-primary", data_testid="feedback-link-email",
                         disabled=not client.email),
        )
        # The buttons carry the only field, so crispy must not render it as an input of its own.
        self.helper.render_unmentioned_fields = False


class ComplaintFilterForm(forms.Form):
    OPEN, ALL = "", "all"
    status = forms.ChoiceField(label=_("Status"), required=False)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [(self.OPEN, _("Not closed")), *Complaint.Status.choices, (self.ALL, _("All"))]
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.disable_csrf = True
        self.helper.layout = Layout(Row(
            Column("status", css_class="col-sm-4 col-lg-3"),
            Column(Field("overdue"), css_class="col-sm-4 col-lg-3 d-flex align-items-end"),
            Column(Submit("filter", _("Filter")), css_class="col-auto d-flex align-items-end mb-3"),
        ))


class ComplaintTransitionForm(forms.Form):
    to_status = forms.ChoiceField(label=_("New status"))
    note = forms.CharField(label=_("Note"), required=False, max_length=COMMENTS_MAX_LENGTH,
                           widget=forms.Textarea(attrs={"rows": 3}),
                           help_text=_("Required to resolve or reject: how it was resolved, or why it was rejected."))

    def __init__(self, *args, complaint: Complaint, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_status"].choices = complaint_statuses_next(complaint)
        self.helper = _helper(submit_label=_("Change status"),
                              action=reverse("communications:complaint-transition", kwargs={"pk": complaint.pk}))


class ComplaintAssignForm(forms.Form):
    assignee = StaffChoiceField(label=_("Assign to"), queryset=None)
    note = forms.CharField(label=_("Note"), required=False, max_length=500)

    def __init__(self, *args, complaint: Complaint, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = selectors.complaint_assignees(complaint=complaint)
        self.helper = _helper(submit_label=_("Reassign"),
                              action=reverse("communications:complaint-assign", kwargs={"pk": complaint.pk}))


class ComplaintCreateForm(forms.Form):
    """A complaint the client made by phone, in a meeting or in writing, recorded by staff."""

    description = forms.CharField(label=_("What is the complaint?"), max_length=COMMENTS_MAX_LENGTH,
                                  widget=forms.Textarea(attrs={"rows": 5}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(submit_label=_("Record complaint"))
