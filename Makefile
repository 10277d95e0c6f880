# Everything a user runs. `make run` and `make test` are the two that matter.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN ?= $(VENV)/bin
PORT ?= 8000
MANAGE := $(BIN)/python manage.py

DB_ENV := var/mysql/topology.env
PG_ENV := var/postgres/topology.env
MIXED_ENV := var/mixed.env

.PHONY: help run serve test test-sqlite test-live test-browser test-mysql test-postgres test-mixed lint format \
	schema migrate demo-user clean dist test-matrix test-package \
	db-up db-down db-status run-mysql oracle-mysql test-oracle-mysql bench \
	pg-up pg-down pg-status pg-failover run-postgres run-mixed

help:
	@echo "make run     serve the API on http://127.0.0.1:$(PORT)/ (embedded SQLite unless configured)"
	@echo "make test    lint, validate the OpenAPI schema and run the test suite"
	@echo "make serve   the same API under gunicorn, DEBUG off (production-like)"
	@echo "make schema  regenerate openapi/schema.yml after an API change"
	@echo "make lint    ruff check and format check;  make format  fix them"
	@echo "make dist    build the routing package (sdist and wheel) into dist/"
	@echo "make clean   remove .venv and var/ (all local data)"
	@echo
	@echo "make db-up      start a local MariaDB primary and two replicas (ports 3307-3309)"
	@echo "                (MYSQLD=/path/to/mysqld: that server binary, MariaDB or Oracle MySQL)"
	@echo "make run-mysql  db-up, then serve the API on them"
	@echo "make db-status  server, replication threads, lag and GTID of each server"
	@echo "make db-down    stop the servers, keep the data"
	@echo "make oracle-mysql  Oracle MySQL 9.7 from Debian's archive under var/oracle-mysql (prints MYSQLD=...)"
	@echo
	@echo "make pg-up         start a local PostgreSQL primary and two hot standbys (ports 5433-5435)"
	@echo "make run-postgres  pg-up, then serve the API on them"
	@echo "make run-mixed     db-up and pg-up, then serve articles on PostgreSQL and auth_db on MariaDB"
	@echo "make pg-status     role, replication and lag of each server"
	@echo "make pg-failover   stop the primary, promote a standby (TO=replica2 to choose; default replica1)"
	@echo "make pg-down       stop the servers, keep the data"
	@echo
	@echo "make bench      routing vs plain Django vs django-multidb-router (BENCH_QUICK=1: under a minute)"

# The virtual environment, rebuilt when a requirements file changes. Serving
# needs only requirements.txt; the test tools (pytest, ruff, schemathesis,
# uvicorn, playwright) come with the first `make test` or `make lint`.
$(BIN)/.installed: requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@touch $@

$(BIN)/.dev-installed: $(BIN)/.installed requirements-dev.txt requirements-pymysql.txt
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	@touch $@

# The MySQL driver: mysqlclient (compiled), else PyMySQL (pure Python). pip's
# output of a failed build (dozens of lines) goes to a log, not the terminal.
DRIVER_LOG ?= var/log/mysqlclient-build.log
$(BIN)/.mysql-driver: $(BIN)/.installed requirements-mysql.txt requirements-pymysql.txt
	@mkdir -p $(dir $(DRIVER_LOG))
	@$(BIN)/python -m pip install --quiet -r requirements-mysql.txt > $(DRIVER_LOG) 2>&1 || { \
		echo "mysqlclient could not be built, so the MySQL commands use PyMySQL (pure Python, slower) instead."; \
		echo "To build mysqlclient, install the MariaDB client headers, pkg-config and a compiler, then run make again:"; \
		echo "  Debian/Ubuntu: sudo apt-get install libmariadb-dev pkg-config gcc python3-dev"; \
		echo "  macOS:         brew install mariadb-connector-c pkg-config"; \
		$(BIN)/python -m pip install --quiet -r requirements-pymysql.txt >> $(DRIVER_LOG) 2>&1 || { \
			echo "PyMySQL could not be installed either: see $(DRIVER_LOG)."; exit 1; }; \
		echo "pip's output is in $(DRIVER_LOG)."; }
	@touch $@

migrate: $(BIN)/.installed
	$(MANAGE) migrate --no-input

demo-user: migrate
	$(MANAGE) ensure_demo_user

run: demo-user
	@echo
	@echo "  API:         http://127.0.0.1:$(PORT)/api/"
	@echo "  Swagger UI:  http://127.0.0.1:$(PORT)/api/docs/"
	@echo "  Try:         curl -si http://127.0.0.1:$(PORT)/api/articles/ | grep -i '^x-db'"
	@echo
	$(MANAGE) runserver 127.0.0.1:$(PORT)

# Production-like: DEBUG off, static files from WhiteNoise. Without SECRET_KEY
# in the environment, a random one is kept in var/secret-key for this checkout.
serve: demo-user
	@test -n "$$SECRET_KEY" || test -s var/secret-key || \
		$(BIN)/python -c "import secrets; print(secrets.token_urlsafe(50))" > var/secret-key
	@echo
	@echo "  API:         http://127.0.0.1:$(PORT)/api/   (gunicorn, DEBUG off)"
	@echo "  Swagger UI:  http://127.0.0.1:$(PORT)/api/docs/"
	@echo
	export DEBUG=false SECRET_KEY="$${SECRET_KEY:-$$(cat var/secret-key)}" \
		PROMETHEUS_MULTIPROC_DIR="$${PROMETHEUS_MULTIPROC_DIR:-$(CURDIR)/var/prometheus}"; \
		$(MANAGE) collectstatic --no-input --verbosity 0 && \
		exec $(BIN)/gunicorn project.wsgi --bind 127.0.0.1:$(PORT) --config python:project.gunicorn_conf \
			--worker-class gthread --workers 2 --threads 8 --access-logfile - --no-control-socket

# MYSQLD=/path/to/mysqld chooses the server binary (MariaDB's or Oracle
# MySQL's); without it, the one the topology was made with, else the first of
# mariadbd and mysqld found.
db-up: $(BIN)/.installed
	$(BIN)/python -m topology up

db-status: $(BIN)/.installed
	$(BIN)/python -m topology status

db-down: $(BIN)/.installed
	$(BIN)/python -m topology down

run-mysql: db-up $(BIN)/.mysql-driver
	ENV_FILE=$(DB_ENV) $(MAKE) --no-print-directory run

# Oracle MySQL 9.7 from Debian's unstable archive, in a Debian root under
# var/oracle-mysql/ made with debootstrap (about a minute; reused after).
oracle-mysql: $(BIN)/.installed
	$(BIN)/python -m topology.oracle_mysql

# PostgreSQL: topology.pg reads REPLICA_DELAY and PG_PRIMARY_PORT/PG_REPLICA1_PORT/
# PG_REPLICA2_PORT from the environment, and names the install command when the
# server programs are missing. The driver (psycopg) is in requirements.txt.
pg-up: $(BIN)/.installed
	$(BIN)/python -m topology.pg up

pg-status: $(BIN)/.installed
	$(BIN)/python -m topology.pg status

pg-down: $(BIN)/.installed
	$(BIN)/python -m topology.pg down

pg-failover: $(BIN)/.installed
	$(BIN)/python -m topology.pg failover $(if $(TO),--to $(TO))

run-postgres: pg-up
	ENV_FILE=$(PG_ENV) $(MAKE) --no-print-directory run

# Articles and comments on PostgreSQL, auth_db on MariaDB (the Django docs'
# multiple-database example); the env file is rebuilt from both on each run.
run-mixed: db-up pg-up $(BIN)/.mysql-driver
	$(BIN)/python -m topology.mixed --postgres $(PG_ENV) --mysql $(DB_ENV) --output $(MIXED_ENV)
	ENV_FILE=$(MIXED_ENV) $(MAKE) --no-print-directory run

$(BIN)/.bench-installed: $(BIN)/.dev-installed requirements-bench.txt
	$(BIN)/python -m pip install --quiet -r requirements-bench.txt
	@touch $@

# Writes var/bench/latest.md, latest.json and latest.png.
bench: $(BIN)/.bench-installed $(BIN)/.mysql-driver
	$(BIN)/python -m bench

lint: $(BIN)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(BIN)/.dev-installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

schema: $(BIN)/.dev-installed
	$(MANAGE) spectacular --validate --fail-on-warn --file openapi/schema.yml

# The suite on the embedded SQLite databases; the service under real servers
# (gunicorn and uvicorn), fuzzed and hammered; then the suite again on a private
# MariaDB topology and on a private PostgreSQL one (own ports, own temporary
# folders) when their server programs exist.
test: lint test-sqlite test-live test-mysql test-oracle-mysql test-postgres test-mixed test-package test-matrix

test-sqlite: $(BIN)/.dev-installed
	$(MANAGE) spectacular --validate --fail-on-warn --file /dev/null
	$(BIN)/pytest

test-live: $(BIN)/.dev-installed
	$(BIN)/pytest -m live tests/live

# Swagger UI in Debian's Chromium, through Playwright (no browser download).
test-browser: $(BIN)/.dev-installed
	$(BIN)/pytest -m browser tests/browser

test-mysql: $(BIN)/.dev-installed $(BIN)/.mysql-driver
	$(BIN)/python -m topology.suite --server mariadb

# The MySQL suite again, on Oracle MySQL: MYSQLD if it is Oracle MySQL, else
# `make oracle-mysql`'s server; skipped with the reason without one, unless CI=true.
test-oracle-mysql: $(BIN)/.dev-installed $(BIN)/.mysql-driver
	$(BIN)/python -m topology.suite --server oracle-mysql

# The suite a third time, on a private PostgreSQL primary and two hot standbys
# (own ports, own temporary folder), plus tests/postgresql/; skipped with the
# reason without the PostgreSQL server programs, unless CI=true.
test-postgres: $(BIN)/.dev-installed
	$(BIN)/python -m topology.pg.suite

# The suite on the mixed deployment: data on PostgreSQL, auth_db on MariaDB.
test-mixed: $(BIN)/.dev-installed $(BIN)/.mysql-driver
	$(BIN)/python -m topology.mixed_suite

# The routing package's own tests (tests/package/: a project of their own, no
# api/) on SQLite and on real MariaDB, Oracle MySQL and PostgreSQL replication,
# each server run skipped with the reason when its programs are missing
# (required with CI=true).
PACKAGE_TESTS := --ds=tests.package.settings --confcutdir=tests/package -p no:cacheprovider -q tests/package
test-package: $(BIN)/.dev-installed $(BIN)/.mysql-driver
	$(BIN)/python -m pytest $(PACKAGE_TESTS)
	PACKAGE_TEST_DATABASE=server $(BIN)/python -m topology.suite --server mariadb $(PACKAGE_TESTS)
	PACKAGE_TEST_DATABASE=server $(BIN)/python -m topology.suite --server oracle-mysql $(PACKAGE_TESTS)
	PACKAGE_TEST_DATABASE=server $(BIN)/python -m topology.pg.suite $(PACKAGE_TESTS)

# The same tests on Python 3.11-3.13
# x Django 5.2 LTS and 6.1, with nox. The interpreters come from PATH, and from
# pyenv when it has them (PYTHONS_FROM lists the folders tried).
PYENV_ROOT ?= $(HOME)/.pyenv
PYTHONS_FROM = $(wildcard $(PYENV_ROOT)/versions/3.11*/bin $(PYENV_ROOT)/versions/3.12*/bin $(PYENV_ROOT)/versions/3.13*/bin)
empty :=
space := $(empty) $(empty)
test-matrix: $(BIN)/.dev-installed
	PATH="$(subst $(space),:,$(PYTHONS_FROM)):$$PATH" $(BIN)/nox --envdir var/nox

# The routing app as a distribution of its own: an sdist and a wheel in dist/.
dist: $(BIN)/.dev-installed
	rm -rf dist build routing.egg-info django_per_request_routing.egg-info
	$(BIN)/python -m build --outdir dist .
	@ls -1 dist

clean:
	rm -rf $(VENV) var dist build *.egg-info
