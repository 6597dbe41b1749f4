"""Forms of the risk app: the questionnaire itself (one radio choice per question, built from the
version's data) and the overview's filters."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import QuestionnaireVersion


class QuestionnaireForm(forms.Form):
    """One required choice per question of ``version``, labelled in the active language.

    Rendered by ``risk/includes/questionnaire_fields.html`` (large touch targets for phones)
    rather than crispy's default radios; the fields and their validation are Django's."""

    def __init__(self, *args, version: QuestionnaireVersion, **kwargs):
        super().__init__(*args, **kwargs)
        self.version = version
        for question in version.questions.all():
            self.fields[self.field_name(question)] = forms.TypedChoiceField(
                label=question.text, coerce=int,
                widget=forms.RadioSelect(attrs={"class": "form-check-input flex-shrink-0 mt-1"}),
                choices=[(option.pk, option.text) for option in question.options.all()],
                error_messages={"required": _("Please choose an answer.")},
            )

    @staticmethod
    def field_name(question) -> str:
        return f"q{question.pk}"

    def questions(self):
        """(question, bound field) pairs in the version's order, for the template."""
        return [(question, self[self.field_name(question)]) for question in self.version.questions.all()]

    def answers(self) -> dict[int, int]:
        """Question id → chosen option id, for ``services.assessment_complete``."""
        return {question.pk: self.cleaned_data[self.field_name(question)] for question in self.version.questions.all()}
