"""Demo contacts and reviews, so the Today page and the client timelines are alive in the demo.

``communications_demo_build`` (a crm demo step) gives the new demo clients a few logged contacts,
some with a next step coming up or overdue, and a last review at a believable point of their
segment's cadence (most on schedule, some due this week, some overdue, a few never reviewed), then
runs the reminder scan once. Demo clients are new, so running ``demo_data`` again adds nothing.
"""

import random
from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from crm.models import Client, User

from . import selectors, services
from .models import ContactLog, Review

_SUMMARIES = [
    "Quarterly portfolio call 季度组合回顾电话: went through performance and the bond ladder.",
    "Coffee at the branch 网点面谈: discussed the daughter's overseas tuition plan.",
    "WeChat 微信沟通: client asked about the new structured deposit.",
    "Annual review meeting 年度回顾: rebalanced towards fixed income after the risk reassessment.",
    "Phone 电话: confirmed the maturity of the time deposit and reinvestment options.",
    "E-mail 邮件: sent the monthly statement and the house view on equities.",
]
_OUTCOMES = ["Client satisfied 客户满意", "Wants a proposal 需要方案", "Will think it over 考虑中", ""]
_NEXT_STEPS = [
    "Send the rebalancing proposal 发送调仓方案", "Call back about the structured deposit 回电结构性存款",
    "Book the annual review meeting 预约年度回顾", "Send the insurance quote 发送保险报价",
    "Update KYC documents 更新KYC资料",
]
_CHANNELS = [choice for choice, _label in ContactLog.Channel.choices]


def _review_chain(*, client_id: int, by: int, months: int, today, rng: random.Random) -> list[Review]:
    """One to three past reviews, newest first, each recording the date it was due (the previous
    review's next due date), so review compliance has a history: most on time or a few days early,
    about one in six weeks late."""
    completed_on = today - timedelta(days=rng.randrange(0, int(months * 30 * 1.15) + 1))
    next_due_on = selectors.months_later(completed_on, months)
    chain = []
    for _step in range(rng.choice([1, 2, 3, 3])):
        late_by = rng.randrange(16, 46) if rng.random() < 0.17 else rng.randrange(-10, 4)
        was_due_on = completed_on - timedelta(days=late_by)
        chain.append(Review(
            client_id=client_id, completed_by_id=by, completed_on=completed_on, was_due_on=was_due_on,
            next_due_on=next_due_on,
            portfolio_reviewed=True, risk_assessment_valid=rng.random() < 0.9, goals_reviewed=rng.random() < 0.8,
            notes=rng.choice(["", "All on track 一切正常。", "Discussed raising the equity share 讨论提高权益比例。"]),
        ))
        next_due_on = was_due_on
        completed_on = selectors.months_later(was_due_on, -months) - timedelta(days=rng.randrange(0, 4))
    return chain


def communications_demo_build(*, clients: list[int], rng: random.Random) -> str:
    today = timezone.localdate()
    now = timezone.now()
    admin = User.objects.filter(is_superuser=True).order_by("pk").first()
    cadences = selectors.review_cadences()
    rows = list(Client.objects.filter(pk__in=clients, status=Client.Status.ACTIVE).values_list(
        "pk", "aum_tier", "primary_manager_id"))
    reviews, contacts = [], []
    for pk, tier, manager_id in rows:
        by = manager_id or (admin.pk if admin else None)
        if by is None:
            continue
        months = cadences[tier]
        if rng.random() < 0.88:  # the rest were never reviewed: overdue since they were registered
            reviews += _review_chain(client_id=pk, by=by, months=months, today=today, rng=rng)
        for index in range(rng.choice([0, 1, 1, 2, 3])):
            occurred = timezone.make_aware(datetime.combine(
                today - timedelta(days=rng.randrange(1, 120)), time(rng.randrange(9, 18), rng.choice([0, 15, 30, 45]))))
            contact = ContactLog(
                client_id=pk, recorded_by_id=by, channel=rng.choice(_CHANNELS), occurred_at=occurred,
                duration_minutes=rng.choice([None, 10, 15, 30, 45, 60]), participants=rng.choice(["", "Client 客户",
                                                                                                "Client and spouse 客户及配偶"]),
                summary=rng.choice(_SUMMARIES), outcome=rng.choice(_OUTCOMES), recorded_at=occurred,
            )
            if index == 0 and rng.random() < 0.3:
                contact.next_step = rng.choice(_NEXT_STEPS)
                contact.next_step_due_on = today + timedelta(days=rng.randrange(-4, 11))
                if contact.next_step_due_on < today and rng.random() < 0.4:
                    contact.next_step_done_at = now
            contacts.append(contact)
    with transaction.atomic():
        Review.objects.bulk_create(reviews, batch_size=500)
        ContactLog.objects.bulk_create(contacts, batch_size=500)
    result = services.reminders_scan(today=today)
    return (f"{len(contacts)} contacts, {len(reviews)} reviews; the reminder scan raised "
            f"{result.reminders_created} reminders and {result.notifications_created} notifications")
