#!/usr/bin/env bash
# Load test (issue 13): gunicorn with the production settings on loopback, wrk against the main RM
# pages with signed-in sessions of several RMs; prints requests/s, latency percentiles and errors.
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench scripts/bench --load [seconds] [connections]
# Needs the bench data set (scripts/bench builds it) and wrk (apt-get install wrk).
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-30}"
connections="${2:-16}"
port="${BENCH_PORT:-8765}"
: "${DATABASE_URL:?set DATABASE_URL to the bench database}"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
# The production settings (README: Deploy), minus TLS: the requests say they came over HTTPS.
unset DEBUG
export SECRET_KEY="bench-$(python3 -c 'import secrets; print(secrets.token_urlsafe(40))')"
export ALLOWED_HOSTS=127.0.0.1 SECURE_PROXY_SSL_HEADER=X-Forwarded-Proto=https
export CRM_VAR_DIR="${CRM_VAR_DIR:-$PWD/var/bench-load}"
work="$(mktemp -d)"
python manage.py collectstatic --noinput -v 0
python bench/load_sessions.py > "$work/sessions.lua"
cat "$work/sessions.lua" bench/wrk.lua > "$work/script.lua"
.venv/bin/gunicorn config.wsgi --bind "127.0.0.1:$port" --workers "${BENCH_WORKERS:-4}" \
  --forwarded-allow-ips 127.0.0.1 --log-level warning &
gunicorn_pid=$!
trap 'kill "$gunicorn_pid" 2>/dev/null; wait "$gunicorn_pid" 2>/dev/null; rm -rf "$work"' EXIT
for _i in $(seq 1 60); do
  curl -s -o /dev/null -H "X-Forwarded-Proto: https" "http://127.0.0.1:$port/accounts/login/" && break
  sleep 1
done
# Each worker's first requests import views and compile templates (seconds on a busy machine).
echo "Warming up the workers (20 s, not counted) ..."
wrk --threads 2 --connections "$connections" --duration 20s --timeout 30s --script "$work/script.lua" \
  "http://127.0.0.1:$port" >/dev/null
echo "gunicorn ${BENCH_WORKERS:-4} workers; wrk ${duration}s, 2 threads, $connections connections"
wrk --threads 2 --connections "$connections" --duration "${duration}s" --timeout 10s --latency \
  --script "$work/script.lua" "http://127.0.0.1:$port"
