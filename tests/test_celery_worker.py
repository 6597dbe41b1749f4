"""A real Celery worker process consumes a task from the broker and writes to the database.

Two set-ups, chosen by the environment the suite runs in:
- REDIS_URL set: the Redis broker, and the database of DATABASE_URL (PostgreSQL in CI);
- no REDIS_URL: the server-less filesystem broker, in folders of this test's own so that a
  developer's running worker cannot take the message, on the SQLite test database file.

Either way the worker is a separate ``celery worker`` process, so the test data must be
committed (``transaction=True``) and the worker pointed at the *test* database.
"""

import ctypes
import os
import shutil
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from django.db import connection

from config.celery import app as celery_app
from crm.models import AumTierThreshold, Client
from crm.tasks import client_aum_tiers_refresh

from .conftest import require_server
from .factories import ClientFactory

pytestmark = [
    pytest.mark.celery_worker,
    # Committed data for the worker to read; serialized_rollback gives the roles from the data
    # migration back to the tests that run after this one.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

WORKER_READY_TIMEOUT = 60  # seconds for the worker to connect and start consuming
RESULT_TIMEOUT = 60  # seconds for the task to run once queued


def _test_database_url() -> str:
    """A DATABASE_URL for the database this test process runs on (the test database, not the dev one)."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    if db["ENGINE"] == "django.db.backends.postgresql":
        credentials = quote(db["USER"] or "", safe="")
        if db["PASSWORD"]:
            credentials += ":" + quote(db["PASSWORD"], safe="")
        host = db["HOST"] or "localhost"
        port = f":{db['PORT']}" if db["PORT"] else ""
        return f"postgres://{credentials}@{host}{port}/{db['NAME']}"
    pytest.fail(f"No worker set-up for the database engine {db['ENGINE']}")


def _redis_reachable(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=3).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def broker_env(tmp_path):
    """Environment for the worker's broker; in filesystem mode, also repoint this process's app."""
    redis_url = os.environ.get("REDIS_URL")
    if redis_url:
        if not _redis_reachable(redis_url):
            require_server(f"Redis at {urlsplit(redis_url).netloc} is not reachable (REDIS_URL is set)")
        yield {}
        return
    # The worker's settings derive the broker and result folders from CRM_VAR_DIR; give this
    # process's already-configured app the same folders.
    var_dir = tmp_path / "var"
    broker_dir, results_dir = var_dir / "celery" / "broker", var_dir / "celery" / "results"
    for folder in (broker_dir / "out", broker_dir / "processed", results_dir):
        folder.mkdir(parents=True)
    saved = {key: celery_app.conf[key] for key in ("broker_transport_options", "result_backend")}
    celery_app.conf.update(
        broker_transport_options={
            **saved["broker_transport_options"],
            "data_folder_in": str(broker_dir / "out"),
            "data_folder_out": str(broker_dir / "out"),
            "processed_folder": str(broker_dir / "processed"),
        },
        result_backend=f"file://{results_dir}",
    )
    _drop_cached_connections()
    yield {"CRM_VAR_DIR": str(var_dir)}
    celery_app.conf.update(saved)
    _drop_cached_connections()


def _drop_cached_connections() -> None:
    """Forget the broker connection pools and result backend built from the previous configuration."""
    celery_app._after_fork()  # what Celery itself does to drop its pools in a forked child
    celery_app._backend_cache = None
    celery_app._local.__dict__.pop("backend", None)


@pytest.fixture
def worker_extra_env():
    """More environment for the worker process; a test module overrides it (e.g. an e-mail backend)."""
    return {}


@pytest.fixture
def celery_worker(broker_env, worker_extra_env, tmp_path):
    """A ``celery worker`` process on the test database; terminated, and killed if need be, at teardown."""
    env = {**os.environ, **broker_env, "DATABASE_URL": _test_database_url(), **worker_extra_env}
    log_path = tmp_path / "worker.log"
    worker, log = worker_start(env, log_path)
    try:
        _wait_until_ready(worker, log_path)
        yield worker
    finally:
        _stop(worker)
        log.close()
        # Shown by pytest only when the test fails.
        print("---- celery worker log ----\n" + log_path.read_text(encoding="utf-8", errors="replace"))


def worker_start(env: dict, log_path: Path, *, command: list[str] | None = None):
    """Start ``celery worker`` (or ``command``) with ``env``, logging to ``log_path``, in its own session,
    dying with pytest; returns the process and the open log file."""
    if command is None:
        celery = shutil.which("celery", path=str(Path(sys.executable).parent)) or shutil.which("celery")
        assert celery, "the celery command is not installed in this virtualenv"
        command = [celery, "-A", "config", "worker", "--pool=solo", "--concurrency=1", "-l", "info",
                   "--without-heartbeat", "--without-gossip", "--without-mingle", "-n", f"test-{os.getpid()}@%h"]
    log = log_path.open("a+", encoding="utf-8")
    process = subprocess.Popen(
        command,
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=_die_with_parent,
    )
    return process, log


def _die_with_parent() -> None:
    """In the worker, before exec: have Linux stop it if pytest dies without running the teardown
    (killed by a CI timeout, say), so no orphan worker keeps consuming."""
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _wait_until_ready(worker: subprocess.Popen, log_path: Path) -> None:
    """Return once the worker logs that it consumes; fail, with its log, if it exits or takes too long."""
    deadline = time.monotonic() + WORKER_READY_TIMEOUT
    while time.monotonic() < deadline and worker.poll() is None:
        if " ready." in log_path.read_text(encoding="utf-8", errors="replace"):
            return
        time.sleep(0.2)
    pytest.fail(
        f"The Celery worker did not become ready within {WORKER_READY_TIMEOUT} s "
        f"(exit code {worker.poll()}):\n{log_path.read_text(encoding='utf-8', errors='replace')}"
    )


def _stop(worker: subprocess.Popen) -> None:
    if worker.poll() is not None:
        return
    os.killpg(worker.pid, signal.SIGTERM)  # warm shutdown of the worker and anything it started
    try:
        worker.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)


def test_it_refreshes_stale_aum_tiers_in_a_real_worker_process(celery_worker):
    # Tiers computed under the old thresholds, then the admin raises HNW and lowers affluent.
    ClientFactory(legal_name="Now HNW", aum_total=Decimal("4000000"), aum_tier=Client.AumTier.AFFLUENT)
    ClientFactory(legal_name="Now affluent", aum_total=Decimal("300000"), aum_tier=Client.AumTier.MASS)
    ClientFactory(legal_name="Now mass", aum_total=Decimal("100000"), aum_tier=Client.AumTier.AFFLUENT)
    ClientFactory(legal_name="Unchanged", aum_total=Decimal("4000000"), aum_tier=Client.AumTier.HNW)
    # What an admin does in the admin (a data migration seeds the rows).
    AumTierThreshold.objects.update_or_create(tier=Client.AumTier.HNW, defaults={"minimum_aum": Decimal("3000000")})
    AumTierThreshold.objects.update_or_create(
        tier=Client.AumTier.AFFLUENT, defaults={"minimum_aum": Decimal("200000")}
    )

    result = client_aum_tiers_refresh.delay()
    moved = result.get(timeout=RESULT_TIMEOUT)

    assert celery_worker.poll() is None, "the worker exited while running the task"
    assert moved == 3  # "Now HNW", "Now affluent", "Now mass"; "Unchanged" was already HNW
    tiers = dict(Client.objects.values_list("legal_name", "aum_tier"))
    assert tiers == {
        "Now HNW": Client.AumTier.HNW,
        "Now affluent": Client.AumTier.AFFLUENT,
        "Now mass": Client.AumTier.MASS,
        "Unchanged": Client.AumTier.HNW,
    }
