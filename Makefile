# Centre: set-up, run, test and the translation cycle. Every target is safe to run twice.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PYBABEL := $(VENV)/bin/pybabel
FLASK := $(VENV)/bin/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000
# make serve: gunicorn's address and number of worker processes.
CENTRE_BIND ?= 127.0.0.1:8000
WEB_CONCURRENCY ?= 2
# The virtualenv is made from Debian's own Python 3, which Debian builds with profile-guided and
# link-time optimisation: the app's Python (WeasyPrint's layout, Jinja, SQLAlchemy) runs about 15 %
# faster in it than in a Python built without them, as pyenv builds by default (the activity report
# rendered in 0.86 s against 1.02 s, the same bytes). A virtualenv made from another Python is made again.
SYSTEM_PYTHON_DIR := /usr/bin
SYSTEM_PYTHON := $(SYSTEM_PYTHON_DIR)/python3
# What the app needs from Debian: an Arabic typeface (Amiri) and a Latin fallback, Pango for
# WeasyPrint, HarfBuzz's subsetter for fast font embedding, poppler for PDF checks (pdfsig too),
# NSS's certutil (to trust the development CA in the signature tests), SoftHSM2 (a software
# PKCS#11 token, for the tests of signing with a hardware key), Chromium for the browser tests;
# and PostgreSQL's client programs for backups (pg_dump, pg_restore) unless some version of them
# is there already (the server package brings them too).
DEBIAN_PACKAGES := python3-venv fontconfig fonts-hosny-amiri fonts-dejavu-core libpango-1.0-0 \
	libpangoft2-1.0-0 libharfbuzz-subset0 poppler-utils libnss3-tools softhsm2 chromium

.PHONY: setup debian catalogues run web worker serve test extract update compile

setup: debian $(VENV)/.set-up compile

debian:
	@missing=$$(for p in $(DEBIAN_PACKAGES); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed$$' || echo $$p; done; \
		ls /usr/lib/postgresql/*/bin/pg_restore >/dev/null 2>&1 || echo postgresql-client); \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages:" $$missing; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

$(VENV)/.set-up: requirements.txt
	grep -qxF 'home = $(SYSTEM_PYTHON_DIR)' $(VENV)/pyvenv.cfg 2>/dev/null && test -x $(PY) || \
		{ rm -rf $(VENV) && $(SYSTEM_PYTHON) -m venv $(VENV); }
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt
	touch $@

# The web server and one jobs worker together (Procfile.dev, through honcho); Ctrl-C stops both.
# Certificates are signed with a throw-away key made in instance/ the first time (flask signing dev-key).
run: setup
	mkdir -p instance
	$(FLASK) db upgrade
	$(FLASK) signing dev-key
	$(FLASK) seed-demo --if-empty
	CENTRE_ENV=development $(FLASK) credentials dev-keys   # throw-away keys for the credentials, once
	HOST=$(HOST) exec $(VENV)/bin/honcho start --procfile Procfile.dev --port $(PORT)

# The web server alone (development), as `make run` starts it.
web:
	CENTRE_ENV=development $(FLASK) run --debug --host $(HOST) --port $(PORT)

# A jobs worker (python -m centre.jobs.worker), for production too: SIGTERM finishes the running
# jobs, then stops. WORKER_ARGS passes options, e.g. WORKER_ARGS="--workers 4".
worker: $(VENV)/.set-up
	exec $(PY) -m centre.jobs.worker $(WORKER_ARGS)

# Production: gunicorn on DATABASE_URL (PostgreSQL), after bringing the schema to the head revision.
serve: setup
	@test -n "$$DATABASE_URL" || { echo "make serve: set DATABASE_URL, e.g. postgresql+psycopg://centre@db.internal/centre"; exit 2; }
	@test -n "$$SECRET_KEY" || { echo "make serve: set SECRET_KEY to a long random secret"; exit 2; }
	@test -n "$$CENTRE_SIGNING_KEY$$CENTRE_SIGNING_PKCS11_MODULE" || { echo "make serve: set CENTRE_SIGNING_KEY to the institution's PKCS#12 signing key (and CENTRE_SIGNING_PASSPHRASE), or CENTRE_SIGNING_PKCS11_MODULE and the token settings"; exit 2; }
	@test -n "$$CENTRE_PUBLIC_BASE_URL" || { echo "make serve: set CENTRE_PUBLIC_BASE_URL to the site's public address, e.g. https://centre.example.ma"; exit 2; }
	CENTRE_ENV=production $(FLASK) db upgrade
	CENTRE_ENV=production CENTRE_BIND=$(CENTRE_BIND) WEB_CONCURRENCY=$(WEB_CONCURRENCY) \
		exec $(VENV)/bin/gunicorn --config gunicorn.conf.py

test: setup
	scripts/test.sh

# The translation cycle: extract the strings, merge them into the catalogues, compile.
extract: $(VENV)/.set-up
	$(PYBABEL) -q extract -F babel.cfg -k _l -k lazy_gettext -k _lp:1c,2 -k lazy_pgettext:1c,2 --no-location --sort-output --ignore-dirs ".* __pycache__" \
		--project=Centre -o translations/messages.pot .

update: extract
	$(PYBABEL) -q update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete
	$(PY) scripts/fill_english_catalogue.py

compile: $(VENV)/.set-up
	$(PYBABEL) -q compile -d translations
