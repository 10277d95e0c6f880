# Everything a user runs. `make run` and `make test` are the two that matter.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
MANAGE := $(BIN)/python manage.py

DB_ENV := var/mysql/topology.env

.PHONY: help run serve test test-sqlite test-live test-browser test-mysql lint format schema migrate demo-user clean \
	db-up db-down db-status run-mysql bench

help:
	@echo "make run     serve the API on http://127.0.0.1:$(PORT)/ (embedded SQLite unless configured)"
	@echo "make test    lint, validate the OpenAPI schema and run the test suite"
	@echo "make serve   the same API under gunicorn, DEBUG off (production-like)"
	@echo "make schema  regenerate openapi/schema.yml after an API change"
	@echo "make lint    ruff check and format check;  make format  fix them"
	@echo "make clean   remove .venv and var/ (all local data)"
	@echo
	@echo "make db-up      start a local MariaDB primary and two replicas (ports 3307-3309)"
	@echo "make run-mysql  db-up, then serve the API on them"
	@echo "make db-status  replication threads, lag and GTID of each server"
	@echo "make db-down    stop the servers, keep the data"
	@echo
	@echo "make bench      routing vs plain Django vs django-multidb-router (BENCH_QUICK=1: under a minute)"

# The virtual environment, rebuilt when a requirements file changes.
$(BIN)/.installed: requirements.txt requirements-dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	@touch $@

# The MySQL driver: mysqlclient (compiled), else PyMySQL (pure Python).
$(BIN)/.mysql-driver: $(BIN)/.installed requirements-mysql.txt requirements-pymysql.txt
	@$(BIN)/python -m pip install --quiet -r requirements-mysql.txt || { \
		echo; \
		echo "mysqlclient could not be built. It needs the MariaDB client headers, pkg-config and a compiler:"; \
		echo "  Debian/Ubuntu: sudo apt-get install libmariadb-dev pkg-config gcc python3-dev"; \
		echo "  macOS:         brew install mariadb-connector-c pkg-config"; \
		echo "Using PyMySQL (pure Python) instead."; \
		$(BIN)/python -m pip install --quiet -r requirements-pymysql.txt; }
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
	export DEBUG=false SECRET_KEY="$${SECRET_KEY:-$$(cat var/secret-key)}"; \
		$(MANAGE) collectstatic --no-input --verbosity 0 && \
		exec $(BIN)/gunicorn project.wsgi --bind 127.0.0.1:$(PORT) \
			--worker-class gthread --workers 2 --threads 8 --access-logfile - --no-control-socket

db-up: $(BIN)/.installed
	$(BIN)/python -m topology up

db-status: $(BIN)/.installed
	$(BIN)/python -m topology status

db-down: $(BIN)/.installed
	$(BIN)/python -m topology down

run-mysql: db-up $(BIN)/.mysql-driver
	ENV_FILE=$(DB_ENV) $(MAKE) --no-print-directory run

$(BIN)/.bench-installed: $(BIN)/.installed requirements-bench.txt
	$(BIN)/python -m pip install --quiet -r requirements-bench.txt
	@touch $@

# Writes var/bench/latest.md, latest.json and latest.png.
bench: $(BIN)/.bench-installed $(BIN)/.mysql-driver
	$(BIN)/python -m bench

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(BIN)/.installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

schema: $(BIN)/.installed
	$(MANAGE) spectacular --validate --fail-on-warn --file openapi/schema.yml

# The suite on the embedded SQLite databases; the service under real servers
# (gunicorn and uvicorn), fuzzed and hammered; then the suite again on a private
# MariaDB topology (own ports, own temporary folder) when a server binary exists.
test: lint test-sqlite test-live test-mysql

test-sqlite: $(BIN)/.installed
	$(MANAGE) spectacular --validate --fail-on-warn --file /dev/null
	$(BIN)/pytest

test-live: $(BIN)/.installed
	$(BIN)/pytest -m live tests/live

# Swagger UI in Debian's Chromium, through Playwright (no browser download).
test-browser: $(BIN)/.installed
	$(BIN)/pytest -m browser tests/browser

test-mysql: $(BIN)/.installed $(BIN)/.mysql-driver
	$(BIN)/python -m topology.suite

clean:
	rm -rf $(VENV) var
