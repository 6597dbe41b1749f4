"""Forms of the client import and merge pages; each checks its own fields only."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dataimport.forms import ImportUploadForm

from . import imports
from .pickers import ClientPicker
from .services import KEEP, TAKE


def client_upload_form(*args, **kwargs) -> ImportUploadForm:
    """The import engine's upload form, worded for a client file."""
    return ImportUploadForm(
        *args, label=_("Client file"), submit_label=_("Upload and check"),
        help_text=_("CSV (UTF-8 or GBK) or Excel .xlsx, at most 10 MB. The first row holds the column names; "
                    "each client needs a legal name and at least one of ID number, phone or e-mail."),
        **kwargs,
    )


class ImportMappingForm(forms.Form):
    """One choice per column of the file: which client field it fills, or none."""

    def __init__(self, *args, headers: list[str], samples: list[list], mapping: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _("— ignore this column —"))] + [(c.key, c.label) for c in imports.CLIENT_COLUMNS]
        for index, header in enumerate(headers):
            # Escaped here: crispy renders help text as HTML, and these are cells of an uploaded file.
            examples = escape(", ".join(str(v) for v in samples[index] if v not in (None, ""))[:80])
            self.fields[f"column_{index}"] = forms.ChoiceField(
                label=header, choices=choices, required=False, initial=mapping.get(str(index), ""),
                help_text=_("For example: %(values)s") % {"values": examples} if examples else "",
            )
        self.helper = FormHelper()
        self.helper.add_input(Submit("check", _("Check the file (dry run)")))

    def clean(self):
        cleaned = super().clean()
        try:
            imports.CLIENTS.mapping_check(self.mapping())
        except forms.ValidationError as error:
            raise forms.ValidationError(error.messages)
        return cleaned

    def mapping(self) -> dict[str, str]:
        return {name.removeprefix("column_"): value for name, value in self.cleaned_data.items()
                if name.startswith("column_") and value}


class ImportDecisionsForm(forms.Form):
    """Per duplicate row: merge, skip or create, and for a merge each differing field's source."""

    def __init__(self, *args, rows: list[dict], **kwargs):
        super().__init__(*args, **kwargs)
        self.duplicate_rows = [r for r in rows if not r["errors"] and "duplicate" in r]
        for row in self.duplicate_rows:
            duplicate = row["duplicate"]
            self.fields[f"row_{row['row']}_action"] = forms.ChoiceField(
                label=_("What to do with this row"),
                choices=[(o, imports.ACTION_LABELS[o]) for o in duplicate["options"]],
                initial=duplicate["default"], widget=forms.RadioSelect, required=False,
            )
            for difference in duplicate["differences"]:
                self.fields[f"row_{row['row']}_field_{difference['field']}"] = forms.ChoiceField(
                    label=imports.COLUMNS_BY_KEY[difference["field"]].label,
                    choices=[(KEEP, _("Keep: %(value)s") % {"value": difference["existing"] or "–"}),
                             (TAKE, _("Take: %(value)s") % {"value": difference["incoming"]})],
                    initial=difference["default"], widget=forms.RadioSelect, required=False,
                )
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    def rows_with_fields(self):
        """(row, action field, [(difference, choice field)]) for the template, row by row."""
        for row in self.duplicate_rows:
            number = row["row"]
            yield row, self[f"row_{number}_action"], [
                (d, self[f"row_{number}_field_{d['field']}"]) for d in row["duplicate"]["differences"]
            ]

    def decisions(self) -> dict:
        """Row number → decision; a choice left out takes the dry run's default."""
        result = {}
        for row in self.duplicate_rows:
            number = row["row"]
            result[str(number)] = {
                "action": self.cleaned_data[f"row_{number}_action"] or row["duplicate"]["default"],
                "fields": {d["field"]: self.cleaned_data[f"row_{number}_field_{d['field']}"] or d["default"]
                           for d in row["duplicate"]["differences"]},
            }
        return result


class MergeChooseForm(forms.Form):
    """Step one of a manual merge: the record to merge into this one."""

    other = forms.IntegerField(
        label=gettext_lazy("The duplicate record"), min_value=1, widget=ClientPicker(scope=ClientPicker.EDITABLE),
        help_text=gettext_lazy("Search by name, phone, ID or client number; it is merged into this record."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.disable_csrf = True
        self.helper.add_input(Submit("compare", _("Compare the records"), css_class="btn-secondary"))


class ClientMergeForm(forms.Form):
    """Step two: for each field the two records differ on, which value the merged record keeps."""

    other = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, differences: list[dict], **kwargs):
        super().__init__(*args, **kwargs)
        self.differences = differences
        for difference in differences:
            self.fields[f"field_{difference['field']}"] = forms.ChoiceField(
                label=imports.COLUMNS_BY_KEY[difference["field"]].label,
                choices=[(KEEP, _("This record: %(value)s") % {"value": difference["existing"] or "–"}),
                         (TAKE, _("Duplicate: %(value)s") % {"value": difference["incoming"]})],
                initial=difference["default"], widget=forms.RadioSelect,
            )
        self.helper = FormHelper()
        self.helper.add_input(Submit("merge", _("Merge the duplicate into this record"), css_class="btn-danger"))

    def field_choices(self) -> dict[str, str]:
        return {d["field"]: self.cleaned_data[f"field_{d['field']}"] for d in self.differences}
