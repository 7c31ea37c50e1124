# The two commands a newcomer needs (see README.md):
#   make run    install makerlink into .venv and run the bot (local demo when no accounts are configured)
#   make test   install what the tests need, then lint and run the whole suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint bench eval clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.test-installed: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

run: $(VENV)/.installed
	$(BIN)/makerlink serve

test: $(VENV)/.test-installed
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

eval: $(VENV)/.test-installed
	$(BIN)/python tests/benchmarks/eval_match.py

bench: $(VENV)/.test-installed
	$(BIN)/python tests/benchmarks/bench_match.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis *.egg-info
