# Sanchika: `make run` sets up and serves the app; `make test` sets up and runs every test.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: setup run test lint bench clean translations browser guide pgtools softhsm vendor wheel

setup: $(STAMP) node_modules/.package-lock.json

# Browser assets pinned in package.json / package-lock.json (the bpmn-js viewer and modeler);
# the copies served are committed in web/static/vendor/ (make vendor), and checked against
# these by tests/test_vendor.py.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@rm -f $(VENV)/.installed-*
	@touch $@

# The demo's heads of office and administrators (whose password is published) are let in
# without a second factor here; an office never sets SANCHIKA_SECOND_FACTOR_EXEMPT.
DEMO_EXEMPT := anil.sinha,vikas.kumar,sunita.kumari
run: setup
	$(VENV)/bin/sanchika init
	$(VENV)/bin/sanchika demo --signing DDMO
	SANCHIKA_SECOND_FACTOR_EXEMPT=$(DEMO_EXEMPT) $(VENV)/bin/sanchika serve --host $(HOST) --port $(PORT)

# Browser tests drive Debian's chromium, with a Devanagari font for the Hindi pages and the
# guide's screenshots; install them when missing (needs root and apt).
browser:
	@{ command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi lohit; } || { \
	  echo "installing Debian's chromium and a Devanagari font for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    chromium fonts-lohit-deva >/dev/null; }

# Backups of a PostgreSQL database use pg_dump/pg_restore of the server's major version.
pgtools:
	@command -v pg_dump >/dev/null 2>&1 || { echo "installing Debian's postgresql-client"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    postgresql-client >/dev/null; }

# A software token (SoftHSM2) stands in for officials' USB tokens in the signing tests.
softhsm:
	@command -v softhsm2-util >/dev/null 2>&1 || { echo "installing Debian's softhsm2"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    softhsm2 >/dev/null; }

# ruff's rules (pyproject.toml): pyflakes, bugbear, time zones and one clock, a security subset.
lint: setup
	$(VENV)/bin/ruff check .

# One worker per core (pytest-xdist): every test makes its own databases, ports and files; the
# tests of one group (the installed wheel's) run on one worker.
TEST_WORKERS ?= auto
test: setup browser pgtools softhsm lint
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

bench: setup
	$(PY) benchmarks/movements.py

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache build dist

# The product: dist/sanchika-<version>.tar.gz and the wheel built from it, which carries the
# pages, the bpmn-js files, the shipped routes, the PDF's font and the compiled Hindi catalog.
wheel: setup
	$(PY) -m build --outdir dist .

# After changing the bpmn-js pin in package.json: copy its files into web/static/vendor/ (they
# are committed, so that the wheel and a checkout serve them without node_modules).
vendor: setup
	$(PY) -c 'from web.vendor import copy_from; copy_from("node_modules")'

# After changing strings in pages or refusals: refresh the Hindi catalog, then translate the new
# entries.  The first argument of a refusal or a Sentence (workflows/errors.py, and the engine's
# RouteError) is its message.
REFUSALS := -k RouteError -k Sentence -k Problem -k _problem:2 -k N_ -k UnsafeExpression -k NotFound -k NotAllowed -k InvalidInput -k FileMoved -k SanchikaError -k SignInRefused -k WrongPin
translations: setup
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l $(REFUSALS) -o web/translations/messages.pot .
	$(VENV)/bin/pybabel update -w 100 -i web/translations/messages.pot -d web/translations -l hi --no-fuzzy-matching

# Refresh the screenshots in docs/officer-guide*.md from the browser walk.
guide: setup browser
	SANCHIKA_GUIDE_SHOTS=1 $(PY) -m pytest -q tests/test_browser.py
