# The two set-up commands: `make run` (the service) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed $@

run: $(VENV)/.installed
	$(BIN)/framecast serve

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy src

test: lint
	$(BIN)/pytest

# Each bench exits 1 when it misses its target; '-' runs the rest and make reports it.
bench: $(VENV)/.installed-dev
	-$(BIN)/python bench/bench_render.py
	-$(BIN)/python bench/bench_startup.py
	-$(BIN)/python bench/bench_api.py
	-$(BIN)/python bench/bench_concat.py
	-$(BIN)/python bench/bench_audio.py
	-$(BIN)/python bench/bench_caption.py
	-$(BIN)/python bench/bench_compose.py
	-$(BIN)/python bench/bench_webhooks.py
	-$(BIN)/python bench/bench_isolation_latency.py
	-$(BIN)/python -m bench.bench_api_memory

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
