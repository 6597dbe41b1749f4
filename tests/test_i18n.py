"""The Simplified Chinese catalogue ships complete and compiled, and pages use it."""

import gettext
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.urls import reverse

# The project's catalogue and each app's own (an app with a locale/ folder keeps its strings there).
CATALOGUES = sorted(Path(settings.BASE_DIR).glob("*/zh_Hans/LC_MESSAGES/django.po")) + sorted(
    Path(settings.BASE_DIR).glob("*/locale/zh_Hans/LC_MESSAGES/django.po"))


@pytest.fixture(scope="module", params=CATALOGUES, ids=lambda path: str(path.relative_to(settings.BASE_DIR)))
def catalogue_path(request):
    return request.param


@pytest.fixture(scope="module")
def catalogue(catalogue_path):
    return polib.pofile(str(catalogue_path))


def test_it_translates_every_string_in_the_catalogue(catalogue):
    missing = [entry.msgid for entry in catalogue.untranslated_entries()]
    fuzzy = [entry.msgid for entry in catalogue.fuzzy_entries()]
    assert missing == [], f"untranslated: {missing[:20]}"
    assert fuzzy == [], f"fuzzy (unchecked) translations: {fuzzy[:20]}"


def test_it_ships_the_compiled_catalogue_in_step_with_the_source(catalogue, catalogue_path):
    with open(catalogue_path.with_suffix(".mo"), "rb") as compiled_file:
        compiled = gettext.GNUTranslations(compiled_file)
    stale = []
    for entry in catalogue.translated_entries():
        if entry.msgid_plural:
            continue
        if entry.msgctxt:
            got = compiled.pgettext(entry.msgctxt, entry.msgid)
        else:
            got = compiled.gettext(entry.msgid)
        if got != entry.msgstr:
            stale.append(entry.msgid)
    assert stale == [], f"run compilemessages; stale entries: {stale[:20]}"


@pytest.mark.django_db
def test_it_shows_the_client_list_in_chinese_when_the_user_chooses_it(client, owner):
    client.force_login(owner)
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    response = client.get(reverse("crm:client-list"))
    page = response.content.decode()
    assert 'lang="zh-hans"' in page
    assert "客户" in page
