#!/usr/bin/env bash
# `make test`: every test, on a real PostgreSQL and a real Redis started here on
# loopback for this run (and stopped after it), and browser tests in Debian's
# Chromium. A service that does not start makes the run fail.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/system-packages.sh postgresql redis-server chromium poppler-utils \
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
export CHROMIUM=/usr/bin/chromium
export VAR_DIR="$run_dir/var"

.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/djlint --lint templates */templates
.venv/bin/mypy core agencies referrals strategy actions minutes administration config
# Security static analysis: no medium or high finding (each `# nosec` says why).
.venv/bin/bandit --quiet --recursive --severity-level medium --exclude '*/migrations/*' \
  core agencies referrals strategy actions minutes administration config
.venv/bin/python -m pytest "$@"
# Once more with the clock well ahead (a year and more on, just before midnight), browser tests left out:
# no test may depend on the day it was written. Any moment can be tried: TEST_CLOCK=2028-02-29T23:58 make test.
if [ -z "${TEST_CLOCK:-}" ] && [ $# -eq 0 ]; then
  later=$(.venv/bin/python -c 'import datetime as d; print((d.date.today() + d.timedelta(days=400)).isoformat() + "T23:58")')
  echo "Running the suite again with the clock moved to $later"
  TEST_CLOCK="$later" .venv/bin/python -m pytest -m "not e2e" -q
fi
.venv/bin/python scripts/smoke-sqlite.py  # `make run`'s embedded defaults (SQLite, no Redis) in a process of its own
