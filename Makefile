# The two commands: `make run` and `make test`. Needs only Python 3.11 and make.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
INSTALLED := $(VENV)/.installed
# pytest-xdist workers for `make test`: auto is one per core and one more (tests/conftest.py);
# PYTEST_WORKERS=0 runs in one process. --maxschedchunk=2 hands tests out two at a time:
# xdist's default first hands each worker a quarter of its share in one block, and the
# block at the front (the longest tests, tests/conftest.py) all went to one worker.
PYTEST_WORKERS ?= auto
# Python keeps compiled modules in __pycache__ (ignored by git) even where the shell says not to:
# each pytest worker, and each worker process and command the tests start, would otherwise
# compile webapp/ and rewrite the tests' asserts again (seconds of CPU each).
unexport PYTHONDONTWRITEBYTECODE

.PHONY: run test lint install db clean-db

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(INSTALLED)

install: $(INSTALLED)

db: $(INSTALLED)
	$(FLASK) db upgrade
	$(FLASK) demo --if-empty

run: db
	@echo ""
	@echo "  Staff briefings is running on http://127.0.0.1:5000 with a job worker beside it"
	@echo "  (emails land in instance/outbox/; Ctrl+C stops both)"
	@echo ""
	$(FLASK) serve --host 127.0.0.1 --port 5000

test: $(INSTALLED)
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --maxschedchunk=2 $(PYTEST_ARGS)

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/mypy

clean-db:
	rm -f instance/briefings.sqlite instance/briefings.sqlite-wal instance/briefings.sqlite-shm
