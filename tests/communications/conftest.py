"""The real-worker fixtures of tests/test_celery_worker.py (broker set-up, a worker process on the
test database), for the reminder worker tests here."""

from tests.test_celery_worker import broker_env, celery_worker  # noqa: F401  (fixtures)
