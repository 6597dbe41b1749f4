"""Demo feedback and complaints: a year of answers from a sample of the new demo clients, each RM's
clients a little happier or less happy than the next, and complaints in every state, some overdue.

Called by ``demo_data`` with the ids of the clients it has just created, so running it again adds
only for new clients. Rows are backdated, so they are written directly (as crm's demo writes its
assignments), with their history rows and complaint events.
"""

import random
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from crm.models import Client

from .feedback_selectors import feedback_settings
from .models import Complaint, ComplaintEvent, Feedback

SAMPLE_SHARE = 0.4          # of the new clients with an RM, this share answers at least once
SAMPLE_MAX = 3000           # a 100,000-client benchmark book does not need more
COMPLAINT_SHARE = 0.08      # of the answers, these are complaints

COMMENTS = [
    "服务很专业，经理回复及时。 Very professional, my RM answers quickly.",
    "希望能更早收到产品到期提醒。 I would like reminders before products mature.",
    "手机银行转账限额太低。 The mobile transfer limit is too low.",
    "投资建议很有帮助，谢谢！ The investment advice was helpful, thank you!",
    "",
    "",
]
COMPLAINTS = [
    "理财产品收益与宣传不符，请解释。 The product's return is not what was promised; please explain.",
    "多次来电未获回复。 I called several times and nobody called back.",
    "账户费用被重复收取。 A fee was charged twice on my account.",
    "网点排队时间过长。 The wait at the branch was far too long.",
]


def _nps(rng: random.Random, mood: float) -> int:
    """A 0–10 answer leaning happier as ``mood`` (0–1) grows."""
    return max(0, min(10, round(rng.gauss(5.5 + 4 * mood, 2.2))))


def feedback_demo_build(*, clients: list[int], rng: random.Random) -> str:
    now = timezone.now()
    sla_days = feedback_settings().complaint_sla_days
    rows = list(Client.objects.filter(pk__in=clients, primary_manager__isnull=False)
                .values_list("pk", "primary_manager_id", "aum_tier"))
    rng.shuffle(rows)
    rows = rows[:min(int(len(rows) * SAMPLE_SHARE), SAMPLE_MAX)]
    moods = {}
    feedback = []
    for client_id, manager_id, tier in rows:
        mood = moods.setdefault(manager_id, rng.random())
        for _i in range(rng.choice([1, 1, 2, 3])):
            submitted = now - timedelta(days=rng.randrange(0, 360), minutes=rng.randrange(0, 1440))
            nps = _nps(rng, mood)
            complaint = nps <= 6 and rng.random() < COMPLAINT_SHARE * 4
            feedback.append(Feedback(
                client_id=client_id, manager_id=manager_id, aum_tier=tier, nps=nps,
                csat=max(1, min(5, round(1 + nps * 0.4 + rng.uniform(-0.6, 0.6)))),
                comments=rng.choice(COMPLAINTS) if complaint else rng.choice(COMMENTS),
                is_complaint=complaint, language=rng.choice(["zh-hans", "zh-hans", "en"]), submitted_at=submitted))
    with transaction.atomic():
        feedback = Feedback.objects.bulk_create(feedback, batch_size=500)
        complaints = []
        for item in (f for f in feedback if f.is_complaint):
            age = (now - item.submitted_at).days
            # Older complaints are mostly closed; some recent and a few old ones are still open (overdue).
            if age > sla_days and rng.random() < 0.85:
                status = rng.choice([Complaint.Status.RESOLVED] * 4 + [Complaint.Status.REJECTED])
            else:
                status = rng.choice([Complaint.Status.OPEN, Complaint.Status.IN_PROGRESS])
            closed_at = min(now, item.submitted_at + timedelta(days=rng.randrange(1, sla_days + 3))) \
                if status in Complaint.CLOSED else None
            complaints.append(Complaint(
                client_id=item.client_id, feedback=item, description=item.comments, status=status,
                assignee_id=item.manager_id, raised_at=item.submitted_at,
                due_on=timezone.localdate(item.submitted_at) + timedelta(days=sla_days), closed_at=closed_at,
                resolution="已致电客户并解释。 Called the client and explained." if closed_at else ""))
        complaints = bulk_create_with_history(complaints, Complaint, batch_size=500,
                                              default_change_reason="Demo data") if complaints else []
        events = []
        for complaint in complaints:
            events.append(ComplaintEvent(complaint=complaint, from_status="", to_status=Complaint.Status.OPEN,
                                         assignee_id=complaint.assignee_id, at=complaint.raised_at))
            if complaint.status != Complaint.Status.OPEN:
                started = complaint.raised_at + timedelta(hours=rng.randrange(2, 48))
                started = min(started, complaint.closed_at or now)
                events.append(ComplaintEvent(complaint=complaint, from_status=Complaint.Status.OPEN,
                                             to_status=Complaint.Status.IN_PROGRESS, assignee_id=complaint.assignee_id,
                                             actor_id=complaint.assignee_id, at=started))
            if complaint.closed_at:
                events.append(ComplaintEvent(complaint=complaint, from_status=Complaint.Status.IN_PROGRESS,
                                             to_status=complaint.status, assignee_id=complaint.assignee_id,
                                             actor_id=complaint.assignee_id, at=complaint.closed_at,
                                             note=complaint.resolution))
        ComplaintEvent.objects.bulk_create(events, batch_size=500)
    overdue = sum(1 for c in complaints if not c.is_closed and c.due_on < timezone.localdate())
    return f"Feedback: {len(feedback)} answers from {len(rows)} clients, {len(complaints)} complaints ({overdue} overdue)."
