"""Forms for contacts and reviews: crispy layout and single-field validation; the rules live in services."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row, Submit
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import ContactLog, Review

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ContactForm(forms.ModelForm):
    """Log a contact; quick-add on the client page and a page of its own."""

    class Meta:
        model = ContactLog
        fields = ["channel", "occurred_at", "duration_minutes", "participants", "summary", "outcome",
                  "next_step", "next_step_due_on"]
        widgets = {
            "occurred_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
            "summary": forms.Textarea(attrs={"rows": 3}),
            "next_step_due_on": DATE,
        }

    def __init__(self, *args, client, action: str = "", **kwargs):
        kwargs.setdefault("initial", {}).setdefault(
            "occurred_at", timezone.localtime().replace(second=0, microsecond=0))
        super().__init__(*args, **kwargs)
        self.client = client
        self.fields["occurred_at"].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]
        self.fields["duration_minutes"].widget.attrs.update({"min": 0, "max": 24 * 60})
        self.fields["participants"].widget.attrs["placeholder"] = _("e.g. the client and their spouse")
        self.helper = FormHelper()
        self.helper.form_method = "post"
        self.helper.form_action = action
        self.helper.attrs = {"data-testid": "contact-form"}
        self.helper.layout = Layout(
            Row(Column("channel", css_class="col-sm-6 col-lg-4"), Column("occurred_at", css_class="col-sm-6 col-lg-5"),
                Column("duration_minutes", css_class="col-sm-6 col-lg-3")),
            "participants", "summary", "outcome",
            Row(Column("next_step", css_class="col-sm-8"), Column("next_step_due_on", css_class="col-sm-4")),
        )
        self.helper.add_input(Submit("submit", _("Log contact")))

    def service_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class ReviewForm(forms.ModelForm):
    """Complete a periodic review: the checklist and notes, and whether to ask the client for feedback."""

    feedback_link = forms.BooleanField(
        label=_("E-mail the client a link to the feedback form"), required=False,
        help_text=_("A signed, single-use link to rate the service (satisfaction, NPS, comments)."))

    class Meta:
        model = Review
        fields = ["completed_on", "portfolio_reviewed", "risk_assessment_valid", "goals_reviewed", "notes"]
        widgets = {"completed_on": DATE, "notes": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, action: str = "", client_email: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        if client_email:
            self.fields["feedback_link"].initial = True
        else:  # nowhere to send it: the RM copies a link from the client page instead
            del self.fields["feedback_link"]
        self.helper = FormHelper()
        self.helper.form_method = "post"
        self.helper.form_action = action
        self.helper.attrs = {"data-testid": "review-form"}
        self.helper.add_input(Submit("submit", _("Complete review")))

    def service_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}
