"""Print the Lua tables bench/wrk.lua reads: signed-in session cookies of eight bench RMs, each with
the pages an RM opens most (Today, the client list, a search, a client's 360 and portfolio pages)."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.test import Client as HttpClient  # noqa: E402
from django.urls import reverse  # noqa: E402

from crm.models import Client, User  # noqa: E402


def main() -> None:
    settings.ALLOWED_HOSTS = ["*"]
    print("sessions = {")
    for rm in User.objects.filter(username__startswith="bench-rm-").order_by("username")[:8]:
        http = HttpClient()
        http.force_login(rm)
        client = Client.objects.filter(primary_manager=rm, accounts__isnull=False).order_by("pk").first()
        paths = [reverse("communications:today"), reverse("crm:client-list"),
                 reverse("crm:client-list") + "?q=wang", reverse("crm:client-detail", args=[client.pk]),
                 reverse("portfolios:client-portfolio", args=[client.pk])]
        quoted = ", ".join(f'"{p}"' for p in paths)
        print(f'  {{cookie = "{http.cookies["sessionid"].value}", paths = {{{quoted}}}}},')
    print("}")


if __name__ == "__main__":
    main()
