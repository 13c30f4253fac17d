# Quick start: `make run` serves the API; `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
RUN_ENV := AUTH_MODE=dev MAIL_OUTBOX_DIR=./data/outbox
# `make run PORT=8080 HOST=0.0.0.0` serves elsewhere.
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test bench eval lint format migrate clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run
	mkdir -p data/outbox
	$(RUN_ENV) $(BIN)/backlink-outreach migrate
	$(RUN_ENV) $(BIN)/backlink-outreach serve --host $(HOST) --port $(PORT)

migrate: $(VENV)/.installed-run
	$(BIN)/backlink-outreach migrate

# Two worker processes, each test file kept in one of them (its module fixtures, servers and
# database are set up once); `make test TEST_WORKERS=0` runs it all in this process.
TEST_WORKERS ?= 2
test: $(VENV)/.installed-dev
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile

bench: $(VENV)/.installed-dev
	$(BIN)/python -m bench

# The inbound classifier on the labelled bounce corpus (../shared): figures and confusion
# tables; `make eval ARGS=-v` lists the misses. Says so and succeeds when the corpus is absent.
eval: $(VENV)/.installed-dev
	$(BIN)/python -m tests.replies.corpus_eval $(ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts
	$(BIN)/mypy
	$(BIN)/python scripts/check_imports.py

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix src tests bench scripts
	$(BIN)/ruff format src tests bench scripts

clean:
	rm -rf $(VENV) data
