# ratepayer — the two set-up commands are `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
UV := $(PYTHON) -m uv
VENV := .venv
BIN := $(VENV)/bin
DEMO_ACCOUNTS ?= 3000
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: demo test env test-env serve lint bench system-test-deps clean

$(BIN)/ratepayer: pyproject.toml uv.lock
	@$(PYTHON) -m uv --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet --disable-pip-version-check uv
	$(UV) sync --frozen --no-default-groups
	@touch $@

env: $(BIN)/ratepayer

demo: env
	@mkdir -p var
	RATEPAYER_DEBUG=1 $(BIN)/ratepayer migrate --no-input -v 0
	RATEPAYER_DEBUG=1 $(BIN)/ratepayer demo --reset --accounts $(DEMO_ACCOUNTS)
	RATEPAYER_DEBUG=1 $(BIN)/ratepayer serve --addrport 127.0.0.1:8000

serve: env
	RATEPAYER_DEBUG=1 $(BIN)/ratepayer serve --addrport 127.0.0.1:8000

test-env:
	@$(PYTHON) -m uv --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet --disable-pip-version-check uv
	$(UV) sync --frozen --group test
	@bash scripts/install-system-test-deps.sh

test: test-env
	bash scripts/run-tests.sh

lint: test-env
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy src/ratepayer/kernel src/ratepayer/rating src/ratepayer/formats

bench: test-env
	$(BIN)/python bench/search.py --accounts 100000

clean:
	rm -rf $(VENV) var/*.sqlite3*
