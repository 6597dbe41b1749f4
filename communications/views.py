"""Thin views of contacts, reviews, reminders, notifications and the Today page: access through
crm.access and this app's selectors, changes through its services."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from crm import access
from crm import views as crm_views
from crm.forms import form_errors_add

from . import feedback_services, selectors, services
from .forms import ContactForm, ReviewForm
from .models import ContactLog

PAGE_SIZE = 50


def _next_or(request, fallback: str) -> str:
    """Where to go after an action: the page that asked (``next``), if it is ours."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return fallback


def home(request):
    """The signed-in home: the Today page for those who serve clients (RMs, team leads), the
    dashboard for compliance and administrators."""
    if access.serves_clients(request.user):
        return today(request)
    return crm_views.home(request)


def today(request):
    today_date = timezone.localdate()
    unread_total = selectors.notification_unread_count(user=request.user)
    return render(request, "communications/today.html", {
        "notification_unread_count": unread_total,  # the navbar's, counted once
        "today": today_date,
        "sections": selectors.today_sections(user=request.user, today=today_date),
        "unread": _labelled(list(selectors.notification_list(user=request.user).filter(
            read_at__isnull=True)[:selectors.TODAY_ITEMS_SHOWN]), selectors.kind_labels()),
        "unread_total": unread_total,
        "team": selectors.team_overdue_by_manager(user=request.user, today=today_date),
        "kinds": {"review": selectors.KIND_REVIEW, "follow_up": selectors.KIND_FOLLOW_UP},
    })


# ---------------------------------------------------------------------------
# Contacts and the timeline
# ---------------------------------------------------------------------------

def contact_create(request, pk: int):
    client = access.client_get_editable(user=request.user, pk=pk)
    form = ContactForm(request.POST or None, client=client, action=request.get_full_path())
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_record(client=client, recorded_by=request.user, **form.service_fields())
        except ValidationError as error:
            form_errors_add(form, error)
        else:
            messages.success(request, _("Contact with %(name)s logged.") % {"name": client.legal_name})
            return redirect(_next_or(request, reverse("crm:client-detail", args=[client.pk])))
    return render(request, "communications/contact_form.html", {"client": client, "form": form})


def client_timeline(request, pk: int):
    client = access.client_get_visible(user=request.user, pk=pk)
    page = Paginator(selectors.client_timeline(client=client, limit=None), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "communications/client_timeline.html", {
        "client": client, "page": page,
        "may_edit": access.client_may_edit(user=request.user, client_id=client.pk),
        "review_due_on": selectors.review_due_on(client=client),
    })


@require_POST
def follow_up_done(request, pk: int):
    contact = get_object_or_404(ContactLog.objects.filter(
        client__in=access.client_list_editable(user=request.user).values("pk")), pk=pk)
    try:
        services.contact_follow_up_done(contact=contact, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Next step marked done."))
    return redirect(_next_or(request, reverse("crm:client-detail", args=[contact.client_id])))


# ---------------------------------------------------------------------------
# Reviews
# ---------------------------------------------------------------------------

def review_complete(request, pk: int):
    client = access.client_get_editable(user=request.user, pk=pk)
    form = ReviewForm(request.POST or None, action=request.get_full_path(), client_email=client.email,
                      initial={"completed_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():  # the review and its feedback invitation stand or fall together
                review = services.review_complete(client=client, completed_by=request.user, **form.service_fields())
                if form.cleaned_data.get("feedback_link"):
                    feedback_services.feedback_link_issue(
                        client=client, issued_by=request.user, base_url=request.build_absolute_uri("/"),
                        send_email=True, payload={"review": review.pk})
        except ValidationError as error:
            form_errors_add(form, error)
        else:
            messages.success(request, _("Review of %(name)s completed; the next one is due on %(date)s.") % {
                "name": client.legal_name, "date": review.next_due_on.isoformat()})
            if form.cleaned_data.get("feedback_link"):
                messages.info(request, _("A feedback link was e-mailed to %(email)s.") % {"email": client.email})
            return redirect(_next_or(request, reverse("crm:client-detail", args=[client.pk])))
    due_on = selectors.review_due_on(client=client)
    return render(request, "communications/review_form.html", {
        "client": client, "form": form, "review_due_on": due_on, "overdue": due_on < timezone.localdate()})


# ---------------------------------------------------------------------------
# Reminders and notifications
# ---------------------------------------------------------------------------

def reminder_list(request):
    """All open reminders of one kind (Today's "see all"), the overdue ones, or a team member's."""
    kind = request.GET.get("kind") or None
    labels = selectors.kind_labels()
    if kind is not None and kind not in labels:
        raise Http404
    manager = None
    if request.GET.get("rm"):
        access.require(access.may_use_team_pages(request.user))
        manager = get_object_or_404(access.manager_list_filterable(user=request.user), pk=request.GET["rm"])
    overdue = request.GET.get("overdue") == "1"
    today_date = timezone.localdate()
    reminders = selectors.reminder_list_open(user=request.user, kind=kind, overdue_on=today_date if overdue else None,
                                             manager_id=manager.pk if manager else None)
    page = Paginator(reminders, PAGE_SIZE).get_page(request.GET.get("page"))
    for reminder in page.object_list:
        reminder.kind_label = labels.get(reminder.kind, reminder.kind)
    return render(request, "communications/reminder_list.html", {
        "page": page,
        "kind": kind, "kind_label": labels.get(kind) if kind else None, "labels": labels,
        "overdue": overdue, "manager": manager, "today": today_date,
        "kinds": {"review": selectors.KIND_REVIEW, "follow_up": selectors.KIND_FOLLOW_UP},
        "query": _query_without_page(request),
    })


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@require_POST
def reminder_done(request, pk: int):
    reminder = selectors.reminder_get_editable(user=request.user, pk=pk)
    services.reminder_done(reminder=reminder, user=request.user)
    messages.success(request, _("Marked done."))
    return redirect(_next_or(request, reverse("communications:today")))


def _labelled(notifications, labels: dict):
    for notification in notifications:
        notification.kind_label = labels.get(notification.reminder.kind, notification.reminder.kind)
    return notifications


def notification_list(request):
    page = Paginator(selectors.notification_list(user=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    _labelled(page.object_list, selectors.kind_labels())
    return render(request, "communications/notification_list.html", {"page": page, "today": timezone.localdate()})


@require_POST
def notification_read(request, pk: int):
    notification = get_object_or_404(selectors.notification_list(user=request.user), pk=pk)
    services.notification_read(notification=notification)
    return redirect(_next_or(request, reverse("communications:notification-list")))


@require_POST
def notifications_read_all(request):
    count = services.notifications_read_all(user=request.user)
    messages.success(request, ngettext("%(count)d notification marked read.", "%(count)d notifications marked read.",
                                       count) % {"count": count})
    return redirect(_next_or(request, reverse("communications:notification-list")))
