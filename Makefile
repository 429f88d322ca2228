# Strategy Discussions. `make help` lists the targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
# The port `make run` serves on: `PORT=8100 make run`; the links the demo data and emails print use it too.
PORT ?= 8000
RUN_ENV = DEBUG=true SITE_URL=http://127.0.0.1:$(PORT) PATH="$(CURDIR)/$(VENV)/bin:$$PATH"

.PHONY: help run test install lint format lock seed clean bench bench-load docs

help: ## Show the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

run: install ## Start the app (web, worker, beat) on http://127.0.0.1:8000 (PORT=8100 for another port) with demo data; Ctrl-C stops all
	$(RUN_ENV) $(PY) manage.py migrate --noinput
	$(RUN_ENV) $(PY) manage.py seed_demo
	@echo "Open http://127.0.0.1:$(PORT) and sign in as sw.demo with password demo-pass-2026"
	$(RUN_ENV) honcho -f Procfile.dev start --port $(PORT)

test: ## Run every test on real PostgreSQL, Redis and Chromium (installs them with apt-get when missing)
	bash scripts/test.sh

install: $(VENV)/.installed node_modules/.installed static/dist/app.css ## Install Python and npm packages from the lock files and build the static assets

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); scripts/system-packages.sh python3-venv && $(PYTHON) -m venv $(VENV); }
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt -r requirements-dev.txt
	touch $@

node_modules/.installed: package-lock.json
	npm ci --no-audit --no-fund
	touch $@

static/dist/app.css: node_modules/.installed scripts/build-static.sh $(wildcard static/src/*)
	sh scripts/build-static.sh

lint: install ## Check the code with ruff, the templates with djlint, the types with mypy and security with bandit (as `make test` does)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/djlint --lint templates */templates
	$(RUN_ENV) $(VENV)/bin/mypy core agencies referrals strategy actions contributions minutes disputes administration work reports config
	$(VENV)/bin/bandit --quiet --recursive --severity-level medium --exclude '*/migrations/*' core agencies referrals strategy actions contributions minutes disputes administration work reports config

format: install ## Format the code with ruff
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

lock: ## Re-pin requirements.txt (production) and requirements-dev.txt (tests, linters) from pyproject.toml; LOCK_ARGS=--upgrade to upgrade
	PYTHON="$(PYTHON)" LOCK_ARGS="$(LOCK_ARGS)" sh scripts/lock.sh

seed: install ## Load the demo data again (idempotent)
	$(RUN_ENV) $(PY) manage.py seed_demo

clean: ## Remove the local database, broker folders and built assets
	rm -rf var static/dist

BENCHES ?= bench/referral_list.py bench/sweep.py bench/minutes_pdf.py bench/timescales.py bench/reschedule.py bench/pages.py

bench: install ## Time the referral list (2,000 referrals), a deadline sweep (100,000 deadlines), a large meeting's minutes PDF, the timescale engine, rescheduling, and (PostgreSQL DATABASE_URL only) every list and dashboard page at BENCH_SIZES referrals (default 20000,100000,2000000; databases kept between runs) into docs/benchmarks.md; SQLite under var/, or DATABASE_URL
	@status=0; for script in $(BENCHES); do $(RUN_ENV) $(PY) $$script || status=1; done; exit $$status

bench-load: install ## Mixed load over real HTTP (issue 28): gunicorn as in production, BENCH_LOAD_USERS (20) signed-in users for BENCH_LOAD_SECONDS (60) s at BENCH_SIZES (20000,2000000) referrals, on bench/pages.py's kept databases, into docs/benchmarks.md; needs DATABASE_URL=postgres://... and REDIS_URL=redis://...
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) bench/load.py

docs: install ## Draw the first page of each version of the demo minutes as PNG under docs/ (for the README)
	$(RUN_ENV) $(PY) scripts/docs-minutes.py
