# Sanchika: `make run` sets up and serves the app; `make test` sets up and runs every test.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: setup run test bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@rm -f $(VENV)/.installed-*
	@touch $@

run: setup
	$(VENV)/bin/sanchika init
	$(VENV)/bin/sanchika demo
	$(VENV)/bin/sanchika serve --host $(HOST) --port $(PORT)

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

bench: setup
	$(PY) benchmarks/movements.py

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
