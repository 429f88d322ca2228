#!/usr/bin/env bash
# `make test`: every test, on a real PostgreSQL and a real Redis started here on
# loopback for this run (and stopped after it), and browser tests in Debian's
# Chromium (its headless shell, chromium-headless-shell: the same Chromium without a
# window, the headless mode Playwright itself uses, at about two-thirds of the full
# browser's CPU). A service that does not start makes the run fail.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/system-packages.sh postgresql redis-server chromium-headless-shell poppler-utils \
  libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core
make --no-print-directory install

run_dir=$(mktemp -d /tmp/strategy-test.XXXXXX)
pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
free_port() { .venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
pg_port=$(free_port)
redis_port=$(free_port)
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
  chown postgres "$run_dir"
  as_pg=(runuser -u postgres --)
fi

cleanup() {
  [ -n "${smoke:-}" ] && kill "$smoke" 2>/dev/null || true
  "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$run_dir/pg" -m immediate stop >/dev/null 2>&1 || true
  [ -f "$run_dir/redis.pid" ] && kill "$(cat "$run_dir/redis.pid")" 2>/dev/null || true
  rm -rf "$run_dir"
}
trap cleanup EXIT

"${as_pg[@]}" "$pg_bin/initdb" -D "$run_dir/pg" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
"${as_pg[@]}" "$pg_bin/pg_ctl" -D "$run_dir/pg" -l "$run_dir/pg/server.log" -w \
  -o "-h 127.0.0.1 -p $pg_port -k $run_dir -F" start >/dev/null
"$pg_bin/createdb" -h 127.0.0.1 -p "$pg_port" -U postgres strategy
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
  --pidfile "$run_dir/redis.pid" --logfile "$run_dir/redis.log" --dir "$run_dir"
for _ in $(seq 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
echo "PostgreSQL on 127.0.0.1:$pg_port, Redis on 127.0.0.1:$redis_port"

export DEBUG=true
export SECRET_KEY=test-only-secret-key
# The owner (this throwaway server's superuser): pytest creates, migrates and empties the test database as it.
# Every test, request and worker runs as the app's role, strategy_app, which tests/conftest.py creates and
# `migrate` grants (issue 26: no TRUNCATE, DELETE or UPDATE of the audit; tests/db_roles.py).
export DATABASE_URL="postgres://postgres@127.0.0.1:$pg_port/strategy"
export REDIS_URL="redis://127.0.0.1:$redis_port/0"
export CELERY_BROKER_URL="$REDIS_URL"
export CHROMIUM=/usr/bin/chromium-headless-shell
export VAR_DIR="$run_dir/var"

# `make run`'s embedded defaults (SQLite, no Redis), in a process of its own from here on: it needs none of the
# servers above, and its migrations use a core the lint, the template and the workers' start leave idle.
.venv/bin/python scripts/smoke-sqlite.py >"$run_dir/smoke.log" 2>&1 &
smoke=$!

# The template test database is migrated (tests/template_db.py) while the lint runs and the test workers start.
.venv/bin/python -m tests.template_db >"$run_dir/template.log" 2>&1 &
template=$!

.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/djlint --lint templates */templates
.venv/bin/mypy core agencies referrals strategy actions contributions minutes disputes administration work reports config
# Security static analysis: no medium or high finding (each `# nosec` says why).
.venv/bin/bandit --quiet --recursive --severity-level medium --exclude '*/migrations/*' \
  core agencies referrals strategy actions contributions minutes disputes administration work reports config

# --- The suite: every test, browser tests included, on TEST_WORKERS processes (pytest-xdist; 3 by default: on 2
# cores a worker waits on PostgreSQL, Chromium or a Celery worker much of the time, and 3 kept both cores busy;
# TEST_WORKERS=0 runs them in this one). Each worker has a test database (a copy of one migrated once for the run,
# tests/template_db.py), a Redis database and ports of its own; the demo data is seeded once per moment for the run
# and shared (tests/demo_snapshot.py). --reuse-db keeps the test databases for the second pass below; this run's
# PostgreSQL is thrown away after it. The slowest tests are listed after each pass.
# The workers start (and collect) while the template is still being migrated: each waits for it under the
# template's lock before copying it (whoever takes the lock first makes it).
workers=${TEST_WORKERS:-3}
status=0
.venv/bin/python -m pytest -n "$workers" --reuse-db --durations=10 "$@" || status=$?
wait "$template" || { cat "$run_dir/template.log"; echo "Migrating the template test database failed"; exit 1; }
[ "$status" -eq 0 ] || exit "$status"

# --- Once more with the clock moved: no test may depend on the day it was written, nor on the season, the time of
# day or the year. One hard moment per run, chosen by the day of the year from this list (London time):
#   a summer-time night near midnight; a leap day just before midnight; ten years on, just before midnight;
#   the night the clocks go back (01:30 happens twice); a minute before the clocks go forward.
# Browser tests are left out (the browser's own clock cannot be moved), and so are the tests marked clock_free (they
# read only files or another process's output, which never sees the moved clock); everything else runs, in
# parallel, on the databases the first pass migrated. Reproduce a failure with TEST_CLOCK=<the moment printed> make test (that runs
# the whole suite once, at that moment); a single test: TEST_CLOCK=<moment> .venv/bin/python -m pytest <test>.
if [ -z "${TEST_CLOCK:-}" ] && [ $# -eq 0 ]; then
  later=$(.venv/bin/python - <<'PY'
import datetime as d
today = d.date.today()
ten_years_on = today.replace(year=today.year + 10) if (today.month, today.day) != (2, 29) else d.date(today.year + 10, 2, 28)
moments = ["2036-06-30T23:30", "2028-02-29T23:58", f"{ten_years_on.isoformat()}T23:58", "2027-10-31T01:30", "2027-03-28T00:59"]
print(moments[today.timetuple().tm_yday % len(moments)])
PY
  )
  echo "Running the suite again with the clock moved to $later (London time): reproduce with TEST_CLOCK=$later make test"
  TEST_CLOCK="$later" .venv/bin/python -m pytest -n "$workers" --reuse-db --durations=10 -m "not e2e and not clock_free" -q
fi
smoke_status=0
wait "$smoke" || smoke_status=$?
cat "$run_dir/smoke.log"
exit "$smoke_status"
