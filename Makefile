# ratepayer — the two set-up commands are `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
UV := PYTHON=$(PYTHON) bash scripts/uv.sh
VENV := .venv
BIN := $(VENV)/bin
DEMO_ACCOUNTS ?= 3000
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: demo test env test-env messages serve lint bench system-test-deps clean

$(BIN)/ratepayer: pyproject.toml uv.lock
	$(UV) sync --frozen --no-default-groups
	@touch $@

env: $(BIN)/ratepayer
	@bash scripts/compile-messages.sh

# the gettext catalogs (src/ratepayer/locale/*/LC_MESSAGES/django.mo), compiled from the .po files
messages: $(BIN)/ratepayer
	bash scripts/compile-messages.sh

# `demo --reset` recreates and migrates var/ratepayer.sqlite3 itself
demo: env
	@mkdir -p var
	@ldconfig -p 2>/dev/null | grep -q libpangoft2-1.0 || { [ "$$(id -u)" = 0 ] && apt-get install -y -qq --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 >/dev/null; } || echo "bill PDFs need the Debian packages libpango-1.0-0 and libpangoft2-1.0-0" >&2
	RATEPAYER_DEBUG=1 $(BIN)/ratepayer demo --reset --accounts $(DEMO_ACCOUNTS)
	$(DEMO_SERVE)

# the demo's e-mail goes to files under var/mail, never to a relay; two background
# workers beside the server run bill runs, bill PDFs and e-mail
DEMO_SERVE := RATEPAYER_DEBUG=1 RATEPAYER_EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend \
	$(BIN)/ratepayer serve --addrport 127.0.0.1:8000 --task-workers 2

serve: env
	$(DEMO_SERVE)

test-env:
	$(UV) sync --frozen --group test
	@bash scripts/install-system-test-deps.sh
	@bash scripts/compile-messages.sh

test: test-env
	bash scripts/run-tests.sh

lint: test-env
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy src/ratepayer/kernel src/ratepayer/rating src/ratepayer/formats

bench: test-env
	$(BIN)/python bench/search.py --accounts 100000

clean:
	rm -rf $(VENV) var/*.sqlite3*
