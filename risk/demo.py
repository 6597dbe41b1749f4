"""Demo risk records: most demo clients get a questionnaire assessment (about a third of them
older than a year, so expired), some keep a level recorded without an assessment, a few have
none. Safe to run again: clients that already have a level or an assessment are left alone."""

import random
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from crm.models import Client
from crm.scales import RiskBasis, RiskLevel
from crm.services import client_risk_level_set

from . import selectors, services
from .models import Assessment, RecordedLevel

RECORDED_SHARE = 0.12   # keep a level recorded without an assessment
MISSING_EVERY = 25      # one client in 25 (by id, so a second run leaves them alone too) has no level at all
OLDEST_DAYS = 540       # assessments completed up to ~18 months ago: the older third has expired


def risk_demo_create(*, clients, rng: random.Random) -> dict[str, int]:
    """Give the clients in ``clients`` (ids) without a level or an assessment their demo risk record;
    returns how many got an assessment, a recorded level, or nothing."""
    version = selectors.questionnaire_version_current()
    counts = {"assessed": 0, "recorded": 0, "missing": 0}
    if version is None:
        return counts
    todo = (Client.objects.filter(pk__in=list(clients), risk_level="").exclude(risk_assessments__isnull=False)
            .select_related("primary_manager", "created_by").order_by("pk"))
    now = timezone.now()
    questions = list(version.questions.all())
    with transaction.atomic():
        for client in todo:
            if client.pk % MISSING_EVERY == 0:
                counts["missing"] += 1
            elif rng.random() < RECORDED_SHARE:
                recorded_on = timezone.localdate() - timedelta(days=rng.randint(200, 1500))
                level = rng.choice(RiskLevel.values)
                RecordedLevel.objects.create(client=client, level=level, recorded_on=recorded_on,
                                             note="Demo data: set by hand before questionnaires")
                client._change_reason = "Demo data"
                client_risk_level_set(client=client, level=level, basis=RiskBasis.RECORDED, assessed_on=recorded_on)
                counts["recorded"] += 1
            else:
                # An appetite between 0 and 1 picks answers near one end of each question's options;
                # the noise now and then gives contradictory answers, as real clients do.
                appetite = rng.random()
                answers = {}
                for question in questions:
                    options = list(question.options.all())
                    index = round(appetite * (len(options) - 1) + rng.gauss(0, 0.9))
                    answers[question.pk] = options[min(max(index, 0), len(options) - 1)].pk
                services.assessment_complete(
                    client=client, version=version, answers=answers, channel=Assessment.Channel.WITH_RM,
                    recorded_by=client.primary_manager or client.created_by,
                    completed_at=now - timedelta(days=rng.randint(3, OLDEST_DAYS), hours=rng.randint(0, 8)),
                )
                counts["assessed"] += 1
    return counts


def risk_demo_build(*, clients: list[int], rng: random.Random) -> str:
    """The demo_data step: risk records for the sample of new demo clients."""
    counts = risk_demo_create(clients=clients, rng=rng)
    return (f"{counts['assessed']} assessments, {counts['recorded']} levels recorded without one, "
            f"{counts['missing']} clients left unassessed")
