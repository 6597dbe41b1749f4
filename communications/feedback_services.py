"""Writes of client feedback and complaints: every change goes through here.

* ``feedback_link_issue``: a signed, expiring, single-use link to the public feedback form,
  shown once to the RM or e-mailed to the client (the review work calls it when a review ends);
* ``feedback_submit``: the public form's submission, saved with the link consumed in the same
  transaction, raising a complaint when the client ticks "this is a complaint";
* ``complaint_raise`` / ``complaint_transition`` / ``complaint_assign``: the complaint's life,
  each step a ``ComplaintEvent``. Allowed moves: open → in progress → resolved or rejected.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from crm import access
from crm.models import Client, PublicLink
from crm.public_links import public_link_consume, public_link_issue

from . import feedback_selectors as selectors
from .models import Complaint, ComplaintEvent, Feedback

FEEDBACK_PURPOSE = "feedback"

COMPLAINT_TRANSITIONS: dict[str, tuple[str, ...]] = {
    Complaint.Status.OPEN: (Complaint.Status.IN_PROGRESS,),
    Complaint.Status.IN_PROGRESS: (Complaint.Status.RESOLVED, Complaint.Status.REJECTED),
    Complaint.Status.RESOLVED: (),
    Complaint.Status.REJECTED: (),
}


# ---------------------------------------------------------------------------
# Feedback links and submissions
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedbackLinkIssued:
    link: PublicLink
    url: str            # absolute when a base URL was given, else the path; holds the token: show it once
    emailed_to: str     # the client's address when it was e-mailed, else ""


def feedback_form_path(token: str) -> str:
    return reverse("communications:feedback-form", kwargs={"token": token})


def feedback_link_issue(*, client: Client, issued_by, base_url: str = "", send_email: bool = False,
                        payload: dict | None = None) -> FeedbackLinkIssued:
    """Issue a feedback link for ``client``, valid for the administrator's number of days.

    ``base_url`` (e.g. ``request.build_absolute_uri("/")``) makes the URL absolute; it is needed
    to e-mail it. With ``send_email`` the link goes to the client's e-mail address, in Chinese and
    English, once the transaction commits. ``payload`` is kept with the link (e.g. the review
    that led to it). Who may send one is the caller's check (``crm.access.client_may_edit``).
    """
    if send_email and not client.email:
        raise ValidationError(_("%(client)s has no e-mail address on record; copy the link instead.")
                              % {"client": client})
    if send_email and not base_url:
        raise ValueError("an e-mailed link needs base_url to be absolute")
    valid_days = selectors.feedback_settings().link_valid_days
    link, token = public_link_issue(client=client, purpose=FEEDBACK_PURPOSE, issued_by=issued_by,
                                    valid_for=timedelta(days=valid_days), payload=payload)
    url = base_url.rstrip("/") + feedback_form_path(token) if base_url else feedback_form_path(token)
    if send_email:
        transaction.on_commit(lambda: _feedback_link_mail(client=client, manager=issued_by, url=url, link=link))
    return FeedbackLinkIssued(link=link, url=url, emailed_to=client.email if send_email else "")


def _feedback_link_mail(*, client: Client, manager, url: str, link: PublicLink) -> None:
    """The invitation in Simplified Chinese, then English: the client's language is not on record."""
    context = {"client": client, "manager": manager, "url": url, "expires_at": link.expires_at}
    subjects, bodies = [], []
    for language in ("zh-hans", "en"):
        with translation.override(language):
            subjects.append(_("Your feedback, please"))
            bodies.append(render_to_string("communications/feedback/email_link.txt", context))
    send_mail(subject=" / ".join(subjects), message="\n\n---\n\n".join(bodies), from_email=None,
              recipient_list=[client.email])


def feedback_submit(*, token: str, csat: int | None, nps: int | None, comments: str = "",
                    is_complaint: bool = False, language: str = "") -> Feedback:
    """Save the client's answers and use up the link, in one transaction; raise the complaint when
    asked. Raises ``PublicLinkInvalid`` (nothing saved) for a bad, expired or used link and
    ``ValidationError`` for answers the form should have refused."""
    comments = (comments or "").strip()
    if is_complaint and not comments:
        raise ValidationError({"comments": _("Tell us what went wrong, so that we can look into your complaint.")})
    with transaction.atomic():
        link = public_link_consume(token=token, purpose=FEEDBACK_PURPOSE)
        client = link.client
        feedback = Feedback(
            client=client, manager_id=client.primary_manager_id, aum_tier=client.aum_tier, link=link,
            csat=csat, nps=nps, comments=comments, is_complaint=is_complaint, language=language[:10],
            submitted_at=link.used_at,
        )
        feedback.full_clean()
        feedback.save()
        if is_complaint:
            complaint_raise(client=client, description=comments, feedback=feedback, raised_by=None)
    return feedback


# ---------------------------------------------------------------------------
# Complaints
# ---------------------------------------------------------------------------


def complaint_due_on(raised_at) -> date:
    """The SLA due date: the administrator's number of days after the day it was received."""
    return timezone.localdate(raised_at) + timedelta(days=selectors.feedback_settings().complaint_sla_days)


def _event(complaint: Complaint, *, from_status: str, actor, note: str = "", at=None) -> ComplaintEvent:
    event = ComplaintEvent(complaint=complaint, from_status=from_status, to_status=complaint.status,
                           assignee_id=complaint.assignee_id, note=note, actor=actor, at=at or timezone.now())
    event.full_clean()
    event.save()
    return event


@transaction.atomic
def complaint_raise(*, client: Client, description: str, raised_by=None, feedback: Feedback | None = None,
                    assignee=None) -> Complaint:
    """Open a complaint, due after the SLA, assigned to ``assignee`` or else the client's primary RM.
    ``raised_by`` is the member of staff who recorded it, None when the client raised it."""
    if assignee is not None and not access.client_may_edit(user=assignee, client_id=client.pk):
        raise ValidationError({"assignee": _("%(who)s does not serve %(client)s.") % {"who": assignee, "client": client}})
    now = timezone.now()
    complaint = Complaint(
        client=client, feedback=feedback, description=(description or "").strip(),
        assignee_id=assignee.pk if assignee is not None else client.primary_manager_id,
        raised_at=now, due_on=complaint_due_on(now), raised_by=raised_by,
    )
    complaint.full_clean()
    complaint.save()
    _event(complaint, from_status="", actor=raised_by, at=now)
    return complaint


def complaint_statuses_next(complaint: Complaint) -> list[tuple[str, str]]:
    """(value, label) of the statuses the complaint may move to."""
    allowed = COMPLAINT_TRANSITIONS[complaint.status]
    return [(status.value, status.label) for status in Complaint.Status if status in allowed]


@transaction.atomic
def complaint_transition(*, complaint: Complaint, to_status: str, actor, note: str = "") -> Complaint:
    """Move the complaint to ``to_status`` if the state machine allows it; closing (resolved or
    rejected) needs a note saying how, which becomes its resolution."""
    complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
    from_status = complaint.status
    note = (note or "").strip()
    if to_status not in COMPLAINT_TRANSITIONS.get(from_status, ()):
        raise ValidationError(_("A complaint that is “%(from)s” cannot become “%(to)s”.") % {
            "from": Complaint.Status(from_status).label,
            "to": Complaint.Status(to_status).label if to_status in Complaint.Status.values else to_status})
    update_fields = ["status"]
    complaint.status = to_status
    if to_status in Complaint.CLOSED:
        if not note:
            raise ValidationError({"note": _("Say how the complaint was resolved, or why it was rejected.")})
        complaint.closed_at = timezone.now()
        complaint.resolution = note
        update_fields += ["closed_at", "resolution"]
    complaint._change_reason = note
    complaint.full_clean()
    complaint.save(update_fields=update_fields)
    _event(complaint, from_status=from_status, actor=actor, note=note)
    return complaint


@transaction.atomic
def complaint_assign(*, complaint: Complaint, assignee, actor, note: str = "") -> Complaint:
    """Hand the complaint to ``assignee``, who must be able to change the client's records."""
    complaint = Complaint.objects.select_for_update().select_related("client").get(pk=complaint.pk)
    if complaint.is_closed:
        raise ValidationError(_("A closed complaint cannot be reassigned."))
    if complaint.assignee_id == assignee.pk:
        raise ValidationError({"assignee": _("%(who)s is already handling this complaint.") % {"who": assignee}})
    if not access.client_may_edit(user=assignee, client_id=complaint.client_id):
        raise ValidationError({"assignee": _("%(who)s does not serve %(client)s.") % {
            "who": assignee, "client": complaint.client}})
    complaint.assignee = assignee
    complaint._change_reason = (note or "").strip()
    complaint.save(update_fields=["assignee"])
    _event(complaint, from_status=complaint.status, actor=actor, note=(note or "").strip())
    return complaint
