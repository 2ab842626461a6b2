# One command each: `make demo` (try it offline), `make run` (on Telegram), `make test` (what CI runs).
# The targets create .venv and install the project into it themselves.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
ARGS   ?=

.PHONY: install demo run test lint typecheck checks pytest locales bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.11 or newer is required") if sys.version_info < (3, 11) else None'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

## make demo [ARGS="--lang en --admin"]: the real bot against a local Bot API emulator, in this terminal
demo: $(STAMP)
	@$(BIN)/brief-bot demo $(ARGS)

## make run: the bot on Telegram (BOT_TOKEN from the environment or .env)
run: $(STAMP)
	@$(BIN)/brief-bot run

## make test: lint, types, content and locale checks, and the tests
test: lint typecheck checks pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/hadolint Dockerfile

typecheck: $(STAMP)
	$(BIN)/mypy

checks: $(STAMP)
	$(BIN)/brief-bot check-content
	$(BIN)/brief-bot check-locales

pytest: $(STAMP)
	$(BIN)/pytest -q

## make locales: re-extract interface strings after changing them in the code, then translate locales/ru
locales: $(STAMP)
	$(BIN)/brief-bot sync-locales

## make bench: the reading benchmark (prints numbers)
bench: $(STAMP)
	$(BIN)/python bench/reading.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
