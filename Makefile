# The two commands a newcomer needs (see README.md):
#   make run    install makerlink into .venv and run the bot (the browser sandbox when no accounts are configured)
#   make test   install what the tests need, then lint, type-check and run the whole suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test peers browser lint bench bench-outbox bench-console bench-scale load eval clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.test-installed: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

# npm test peers for the integration tests (tests/peers/package.json): Prism and telegram-test-api, plus
# Twilio's OpenAPI description, taken from the npm tarball of @twilio-alpha/mcp (its dependencies are not needed).
PEERS := tests/peers
TWILIO_SPEC := $(PEERS)/spec/twilio_api_v2010.json
TWILIO_SPEC_PACKAGE := @twilio-alpha/mcp@0.7.0

$(PEERS)/node_modules/.makerlink-installed: $(PEERS)/package.json $(PEERS)/package-lock.json
	npm ci --prefix $(PEERS) --no-audit --no-fund --loglevel=error
	touch $@

$(TWILIO_SPEC):
	rm -rf $(PEERS)/spec/.pack && mkdir -p $(PEERS)/spec/.pack
	npm pack $(TWILIO_SPEC_PACKAGE) --pack-destination $(PEERS)/spec/.pack --silent --loglevel=error >/dev/null
	tar -xzf $(PEERS)/spec/.pack/*.tgz -O package/twilio-oai/spec/json/twilio_api_v2010.json > $@.tmp
	mv $@.tmp $@
	rm -rf $(PEERS)/spec/.pack

peers: $(PEERS)/node_modules/.makerlink-installed $(TWILIO_SPEC)

# Debian's Chromium and its driver, for the sandbox's browser test (tests/browser): installed only when missing,
# with sudo when not root; the package lists are refreshed only if the first attempt fails. Where there is no
# apt-get, point MAKERLINK_TEST_CHROMIUM and MAKERLINK_TEST_CHROMEDRIVER at a Chrome and its chromedriver.
APT_INSTALL := apt-get install -y --no-install-recommends chromium chromium-driver
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
CHROMIUM_BIN := $(or $(MAKERLINK_TEST_CHROMIUM),/usr/bin/chromium)
CHROMEDRIVER_BIN := $(or $(MAKERLINK_TEST_CHROMEDRIVER),/usr/bin/chromedriver)

browser:
	@if [ ! -x "$(CHROMIUM_BIN)" ] || [ ! -x "$(CHROMEDRIVER_BIN)" ]; then \
		if ! command -v apt-get >/dev/null; then \
			echo "The browser test needs Chromium and chromedriver: no apt-get here, so set MAKERLINK_TEST_CHROMIUM and MAKERLINK_TEST_CHROMEDRIVER to a Chrome and its chromedriver (README: The browser test)." >&2; \
			exit 1; \
		fi; \
		$(SUDO) $(APT_INSTALL) || { $(SUDO) apt-get update && $(SUDO) $(APT_INSTALL); }; \
	fi

run: $(VENV)/.installed
	$(BIN)/makerlink serve

test: $(VENV)/.test-installed peers browser
	$(BIN)/ruff check .
	$(BIN)/mypy
	MAKERLINK_REQUIRE_PEERS=1 $(BIN)/python -m pytest

eval: $(VENV)/.test-installed
	$(BIN)/python tests/benchmarks/eval_match.py

bench: $(VENV)/.test-installed
	$(BIN)/python tests/benchmarks/bench_match.py

bench-console: $(VENV)/.test-installed
	$(BIN)/python tests/benchmarks/bench_console.py

bench-outbox: $(VENV)/.test-installed
	$(BIN)/python tests/benchmarks/bench_outbox.py
	$(BIN)/python tests/benchmarks/outbox_faults.py

# A national directory (100,000 makers; --makers N for fewer): import, start, following changes, memory, in one table
# (docs/benchmarks.md: "Scaling"). PostgreSQL: MAKERLINK_TEST_POSTGRES_URL, else the machine's postgres://…/test.
bench-scale: $(VENV)/.test-installed
	$(BIN)/python tests/benchmarks/bench_scale.py

# Load and fault figures with real processes (docs/benchmarks.md: "Load and fault figures"). The PostgreSQL parts need
# MAKERLINK_TEST_POSTGRES_URL (each run uses a fresh schema, dropped afterwards).
load: $(VENV)/.test-installed
	$(BIN)/python tests/benchmarks/load_inbound.py
	$(BIN)/python tests/benchmarks/load_workers.py
	$(BIN)/python tests/benchmarks/restart_all.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache .hypothesis *.egg-info $(PEERS)/node_modules $(PEERS)/spec
