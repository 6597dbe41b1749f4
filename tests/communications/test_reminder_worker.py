"""Reminders through real Celery processes: a worker delivers them (on Redis when REDIS_URL is set,
as in CI, else on the filesystem broker), a worker killed with SIGKILL in the middle of the scan and
restarted loses and duplicates nothing, and in the embedded mode of ``scripts/run`` (worker and
beat from ``scripts/worker``) a review due tomorrow becomes a reminder with no command run by hand.

The worker processes are the ones ``tests/test_celery_worker.py`` starts, on the test database (its
fixtures come through this folder's conftest.py)."""

import os
import re
from collections import Counter
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db.models import Count
from django.utils import timezone

from communications import selectors
from communications.models import Notification, Reminder, ReviewSchedule
from communications.tasks import reminders_scan
from crm.models import Client, User
from tests.factories import ClientFactory
from tests.test_celery_worker import RESULT_TIMEOUT, _stop, _test_database_url, _wait_until_ready, worker_start

from .factories import schedule_due

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ROOT = Path(__file__).resolve().parents[2]
REVIEW = selectors.KIND_REVIEW


@pytest.fixture
def mail_dir(tmp_path):
    folder = tmp_path / "mail"
    folder.mkdir()
    return folder


@pytest.fixture
def worker_extra_env(mail_dir):
    """The worker e-mails into files, one per message, that the test reads; an unacknowledged task
    of a killed worker goes back to the Redis queue after 2 seconds instead of an hour, and the
    restarted worker looks for it every second instead of every 100."""
    return {"EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend", "EMAIL_FILE_PATH": str(mail_dir),
            "CELERY_VISIBILITY_TIMEOUT": "2", "CELERY_RESTORE_INTERVAL": "1", "CELERY_RESTORE_THROTTLE": "1"}


def emailed(mail_dir: Path) -> list[list[int]]:
    """Per e-mail the worker sent, the notification ids it carried (each message lists its own)."""
    return [[int(n) for n in header.split(",")] for path in mail_dir.iterdir()
            for header in re.findall(r"^X-CRM-Notifications: (.*)$", path.read_text(), re.M)]


def emailed_ids(mail_dir: Path) -> list[int]:
    return [n for message in emailed(mail_dir) for n in message]


def wait_for(condition, *, timeout: float, what: str, worker=None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if worker is not None and worker.poll() is not None:
            pytest.fail(f"the worker exited (code {worker.returncode}) while waiting for {what}")
        time.sleep(0.1)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


def test_a_real_worker_delivers_reminders_to_the_notification_centre_and_by_email(celery_worker, owner, mail_dir):
    tomorrow = timezone.localdate() + timedelta(days=1)
    client = ClientFactory(manager=owner)
    schedule_due(client, tomorrow)

    result = reminders_scan.delay()
    outcome = result.get(timeout=RESULT_TIMEOUT)

    assert outcome["reminders_created"] >= 1
    reminder = Reminder.objects.get(client=client, kind=REVIEW)
    assert reminder.due_on == tomorrow
    notification = Notification.objects.get(reminder=reminder)
    assert notification.recipient == owner and notification.read_at is None
    # The scan queued the e-mail task after its commit; the same worker sends it.
    wait_for(lambda: Notification.objects.filter(recipient=owner, emailed_at__isnull=True).count() == 0,
             timeout=RESULT_TIMEOUT, what="the e-mail", worker=celery_worker)
    assert sorted(emailed_ids(mail_dir)) == sorted(Notification.objects.filter(recipient=owner).values_list(
        "pk", flat=True))


RMS, CLIENTS_PER_RM = 250, 4


def _big_book(tomorrow):
    """RMS RMs with CLIENTS_PER_RM clients each, every review due tomorrow: written in bulk."""
    managers = User.objects.bulk_create([
        User(username=f"rm{n:04d}", email=f"rm{n:04d}@bank.example", first_name="RM", last_name=str(n))
        for n in range(RMS)])
    clients = Client.objects.bulk_create([
        Client(legal_name=f"Client {m.pk}-{k}", id_number=f"K{m.pk:05d}{k}", primary_manager=m)
        for m in managers for k in range(CLIENTS_PER_RM)])
    ReviewSchedule.objects.bulk_create([
        ReviewSchedule(client=c, anchor_on=tomorrow - timedelta(days=365), interval_months=12, due_on=tomorrow)
        for c in clients])
    return clients


def finished(reviews: int) -> bool:
    """The scan and its e-mails are done: every review reminder, its notification, all e-mailed."""
    return (Reminder.objects.filter(kind=REVIEW).count() == reviews
            and Notification.objects.filter(reminder__kind=REVIEW, reason="reminder").count() == reviews
            and not Notification.objects.filter(emailed_at__isnull=True).exists())


def test_a_worker_killed_in_the_middle_of_the_scan_and_restarted_loses_and_duplicates_nothing(
        broker_env, worker_extra_env, mail_dir, tmp_path):
    tomorrow = timezone.localdate() + timedelta(days=1)
    clients = _big_book(tomorrow)
    env = {**os.environ, **broker_env, "DATABASE_URL": _test_database_url(), **worker_extra_env}
    first, first_log = worker_start(env, tmp_path / "first.log")
    try:
        _wait_until_ready(first, tmp_path / "first.log")
        reminders_scan.delay()
        # Kill it as soon as the scan's first rows are committed: in the middle of the scan, or
        # (on a fast machine) of the e-mails it queued.
        wait_for(lambda: Reminder.objects.filter(kind=REVIEW).exists(), timeout=RESULT_TIMEOUT,
                 what="the scan to be under way", worker=first)
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        _stop(first)
        first_log.close()
    print(f"killed with {Reminder.objects.filter(kind=REVIEW).count()} review reminders, "
          f"{Notification.objects.count()} notifications, "
          f"{Notification.objects.filter(emailed_at__isnull=False).count()} e-mailed")
    assert not finished(len(clients)), "the worker finished before it was killed"

    second, second_log = worker_start(env, tmp_path / "second.log")
    try:
        _wait_until_ready(second, tmp_path / "second.log")
        if not os.environ.get("REDIS_URL"):
            # The filesystem broker deleted the message when the killed worker took it; beat's
            # next run of the scan (hourly) is what finishes the job.
            reminders_scan.delay()
        # On Redis the killed worker's unacknowledged task comes back by itself (visibility timeout).
        wait_for(lambda: finished(len(clients)), timeout=RESULT_TIMEOUT * 2, what="the restarted worker to finish",
                 worker=second)
    finally:
        _stop(second)
        second_log.close()
        print("---- first worker ----\n" + (tmp_path / "first.log").read_text(errors="replace"))
        print("---- second worker ----\n" + (tmp_path / "second.log").read_text(errors="replace"))

    reviews = Reminder.objects.filter(kind=REVIEW)
    assert sorted(reviews.values_list("client_id", "due_on")) == sorted((c.pk, tomorrow) for c in clients)
    per_reminder = Notification.objects.filter(reminder__kind=REVIEW, reason="reminder").values(
        "reminder_id").annotate(n=Count("id"))
    assert len(per_reminder) == len(clients) and {row["n"] for row in per_reminder} == {1}
    messages = emailed(mail_dir)
    sent = Counter(n for message in messages for n in message)
    assert set(sent) == set(Notification.objects.values_list("pk", flat=True))  # every notification e-mailed
    # At most the one message in flight when the worker died went out twice (see
    # notifications_email_send): handed to the mail backend, its transaction never committed.
    twice = {n for n, times in sent.items() if times > 1}
    assert max(sent.values()) <= 2
    assert not twice or any(twice <= set(message) for message in messages)


def test_in_embedded_mode_a_review_due_tomorrow_becomes_a_reminder_with_no_command_run(
        broker_env, owner, tmp_path):
    client = ClientFactory(manager=owner)
    schedule_due(client, timezone.localdate() + timedelta(days=1))

    worker = _scripts_worker(broker_env, tmp_path)
    try:
        # Nobody runs anything: beat starts, queues the scan, the worker runs it (the reminder is
        # committed with its source's rows, the notifications after every source: wait for those).
        wait_for(lambda: Notification.objects.filter(reminder__client=client, reminder__kind=REVIEW).exists(),
                 timeout=60, what="beat's first scan", worker=worker)
    finally:
        _scripts_worker_stop(worker)
        print("---- scripts/worker ----\n" + (tmp_path / "scripts-worker.log").read_text(errors="replace"))
    assert Notification.objects.filter(reminder__client=client, reminder__kind=REVIEW, recipient=owner).count() == 1


def test_scripts_worker_stops_worker_and_beat_within_10_seconds_of_ctrl_c(broker_env, tmp_path):
    worker = _scripts_worker(broker_env, tmp_path)
    log = tmp_path / "scripts-worker.log"
    try:
        wait_for(lambda: " ready." in log.read_text() and "beat: Starting" in log.read_text(), timeout=60,
                 what="the worker and beat to start", worker=worker)
        children = _group_members(worker.pid)
        started = time.monotonic()
        os.killpg(worker.pid, signal.SIGINT)  # what Ctrl+C in a terminal does
        worker.wait(timeout=10)
        took = time.monotonic() - started
    finally:
        _scripts_worker_stop(worker)
        print("---- scripts/worker ----\n" + log.read_text(errors="replace"))
    assert took < 10
    assert worker.returncode == 0
    assert children and not [pid for pid in children if _alive(pid)], "a Celery process outlived scripts/worker"


def _scripts_worker(broker_env, tmp_path) -> subprocess.Popen:
    """``scripts/worker`` (what ``scripts/run`` starts) on the test database, with its own var folder."""
    var_dir = broker_env.get("CRM_VAR_DIR") or str(tmp_path / "var")
    env = {**os.environ, **broker_env, "CRM_VAR_DIR": var_dir, "DATABASE_URL": _test_database_url(),
           "CRM_VENV_READY": "1", "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    process, log = worker_start(env, tmp_path / "scripts-worker.log", command=[str(ROOT / "scripts" / "worker")])
    log.close()
    return process


def _scripts_worker_stop(process: subprocess.Popen) -> None:
    """Teardown: stop scripts/worker and whatever it started (their own process groups) if still there."""
    for pid in _group_members(process.pid) if process.poll() is None else []:
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    _stop(process)


def _group_members(script_pid: int) -> list[int]:
    """The Celery processes scripts/worker started (its children)."""
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(script_pid)], capture_output=True, text=True).stdout
    return [int(pid) for pid in out.split()]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
