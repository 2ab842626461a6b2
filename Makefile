# One command each: `make demo` (try it offline), `make run` (on Telegram), `make test` (what CI runs).
# The targets create .venv and install the project into it themselves: `make demo` and `make run` only what the
# bot needs, pinned with hashes in requirements.lock; `make test` adds the developer tools.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --quiet --disable-pip-version-check
RUNTIME_STAMP := $(VENV)/.runtime-stamp
STAMP  := $(VENV)/.installed-stamp
ARGS   ?=

.PHONY: install install-runtime demo run test lint typecheck checks pytest pytest-oldest locales lock bench clean

# The bot's dependencies exactly as locked (the same as the Docker image), then the bot itself without deps, and
# the Bot API emulator beside it (its own distribution, emulator/: the demo and the tests need it, the image not).
$(RUNTIME_STAMP): requirements.lock pyproject.toml emulator/pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.11 or newer is required") if sys.version_info < (3, 11) else None'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(PIP) install --require-hashes --no-deps -r requirements.lock
	@$(PIP) install --no-deps -e .
	@$(PIP) install --no-deps -e ./emulator
	@touch $(RUNTIME_STAMP)

# Developer tools (ruff, mypy, pytest, hadolint...) on top: only for `make test` and friends.
$(STAMP): $(RUNTIME_STAMP)
	@$(PIP) install -e '.[dev]'
	@touch $(STAMP)

install-runtime: $(RUNTIME_STAMP)

install: $(STAMP)

## make demo [ARGS="--lang en --admin"]: the real bot against a local Bot API emulator, in this terminal
demo: $(RUNTIME_STAMP)
	@$(BIN)/brief-bot demo $(ARGS)

## make run: the bot on Telegram (BOT_TOKEN from the environment or .env)
run: $(RUNTIME_STAMP)
	@$(BIN)/brief-bot run

## make test: lint, types, content and locale checks, and the tests
test: lint typecheck checks pytest pytest-oldest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/hadolint Dockerfile

typecheck: $(STAMP)
	$(BIN)/mypy
	$(BIN)/mypy --explicit-package-bases bench/*.py  # the benchmarks: scripts, not a package

checks: $(STAMP)
	$(BIN)/brief-bot check-content
	$(BIN)/brief-bot check-locales

pytest: $(STAMP)
	$(BIN)/pytest -q

# The oldest python-telegram-bot that pyproject.toml allows, in a venv of its own: the tests that lean on PTB's
# request and error interfaces (our JSON and aiohttp backends, replies, the engine, the webhook) run against it, so
# that the floor stays true (the lock, and so the image, holds the newest).
OLDEST     := $(VENV)-oldest
PTB_FLOOR   = $(shell sed -n 's/.*"python-telegram-bot>=\([0-9.]*\),.*/\1/p' pyproject.toml)
OLDEST_STAMP := $(OLDEST)/.installed-stamp
PTB_FACING := tests/test_json_request.py tests/test_aiohttp_request.py tests/test_replies.py tests/test_broadcast.py \
	tests/test_webhook.py

$(OLDEST_STAMP): pyproject.toml emulator/pyproject.toml
	@test -x $(OLDEST)/bin/python || $(PYTHON) -m venv $(OLDEST)
	@$(OLDEST)/bin/python -m pip --quiet --disable-pip-version-check install -e '.[dev]' -e ./emulator \
		'python-telegram-bot==$(PTB_FLOOR)'
	@touch $(OLDEST_STAMP)

pytest-oldest: $(OLDEST_STAMP)
	@$(OLDEST)/bin/python -c 'import telegram; print("python-telegram-bot", telegram.__version__, "(the floor):")'
	$(OLDEST)/bin/pytest -q -p no:cacheprovider $(PTB_FACING)

## make locales: re-extract interface strings after changing them in the code, then translate locales/ru
locales: $(STAMP)
	$(BIN)/brief-bot sync-locales

## make lock: re-pin the bot's dependencies (with hashes) after changing them in pyproject.toml
lock:
	@test -x $(VENV)-lock/bin/pip-compile || ($(PYTHON) -m venv $(VENV)-lock && $(VENV)-lock/bin/pip install --quiet pip-tools)
	$(VENV)-lock/bin/pip-compile --quiet --generate-hashes --allow-unsafe --no-emit-index-url --no-emit-find-links \
		--strip-extras --output-file requirements.lock pyproject.toml

## make bench: the reading benchmark and, in its quick size, the broadcast engine's (prints numbers)
bench: $(STAMP)
	$(BIN)/python bench/reading.py
	$(BIN)/python bench/engine.py --quick

clean:
	rm -rf $(VENV) $(VENV)-lock $(OLDEST) .mypy_cache .ruff_cache .pytest_cache
