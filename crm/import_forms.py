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
        help_text=_("CSV (UTF-8, GBK or Big5) or Excel .xlsx, at most 10 MB. The first row holds the column names; "
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


BULK_DEFAULT = ""


class ImportDecisionsForm(forms.Form):
    """What to do with the duplicates: one choice per kind of duplicate for all its rows, and per
    row shown (one page of them) merge, skip or create, with each differing field's source for a merge.

    ``saved`` are the decisions stored with the import (``ClientImport.decisions``): the fields
    start from them, so a page shows what the commit would do.
    """

    def __init__(self, *args, rows: list[dict], shown: list[dict], saved: dict, **kwargs):
        super().__init__(*args, **kwargs)
        duplicates = [r for r in rows if not r["errors"] and "duplicate" in r]
        self.saved_bulk, saved_rows = saved.get("bulk", {}), saved.get("rows", {})
        self.groups = []
        for group, label in imports.DUPLICATE_GROUPS.items():
            members = [r for r in duplicates if imports.duplicate_group(r["duplicate"]) == group]
            if not members:
                continue
            options = members[0]["duplicate"]["options"]
            name = f"bulk_{group}"
            self.fields[name] = forms.ChoiceField(
                label=label, required=False, initial=self.saved_bulk.get(group, BULK_DEFAULT),
                choices=[(BULK_DEFAULT, _("Row by row (merge unless chosen otherwise)"))]
                + [(o, BULK_LABELS[o]) for o in options],
            )
            self.groups.append((group, len(members), self[name]))
        self.duplicate_rows = [r for r in shown if not r["errors"] and "duplicate" in r]
        for row in self.duplicate_rows:
            duplicate, number = row["duplicate"], str(row["row"])
            own = saved_rows.get(number, {})
            self.fields[f"row_{number}_action"] = forms.ChoiceField(
                label=_("What to do with this row"),
                choices=[(o, imports.ACTION_LABELS[o]) for o in duplicate["options"]],
                initial=imports.action_chosen(duplicate, decision=own, bulk=self.saved_bulk),
                widget=forms.RadioSelect, required=False,
            )
            for difference in duplicate["differences"]:
                kept = _("Keep: %(value)s") if duplicate["source"] == "registry" else _("Earlier row: %(value)s")
                self.fields[f"row_{number}_field_{difference['field']}"] = forms.ChoiceField(
                    label=imports.COLUMNS_BY_KEY[difference["field"]].label,
                    choices=[(KEEP, kept % {"value": difference["existing"] or "–"}),
                             (TAKE, _("Take: %(value)s") % {"value": difference["incoming"]})],
                    initial=own.get("fields", {}).get(difference["field"], difference["default"]),
                    widget=forms.RadioSelect, required=False,
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

    def bulk(self) -> dict:
        """Kind of duplicate → the action chosen for all its rows ("" for row by row)."""
        return {group: self.cleaned_data[f"bulk_{group}"] for group, _count, _field in self.groups}

    def decisions(self) -> dict:
        """Row number → decision, for the rows shown; a choice left out takes the row's current one."""
        result = {}
        for row in self.duplicate_rows:
            number = row["row"]
            result[str(number)] = {
                "action": self.cleaned_data[f"row_{number}_action"] or self.fields[f"row_{number}_action"].initial,
                "fields": {d["field"]: self.cleaned_data[f"row_{number}_field_{d['field']}"]
                           or self.fields[f"row_{number}_field_{d['field']}"].initial
                           for d in row["duplicate"]["differences"]},
            }
        return result


BULK_LABELS = {
    "merge": gettext_lazy("Merge all"), "skip": gettext_lazy("Skip all"),
    "create": gettext_lazy("Create a new client for each"),
}


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
