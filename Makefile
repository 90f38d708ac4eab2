# LakePulse: `make demo` sets up, starts the embedded stack and runs seed -> CDC -> dbt Silver and Gold;
# `make test` sets up and runs the test suite (it starts and stops its own stacks).
SHELL := /bin/bash
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: setup demo test unit bench lint check-trino up down status clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

demo: setup
	$(BIN)/lakepulse up
	$(BIN)/lakepulse demo

test: setup
	$(BIN)/ruff check .
	$(BIN)/pytest

bench: setup
	$(BIN)/python -m benchmarks.bench_source
	$(BIN)/python -m benchmarks.bench_cdc
	$(BIN)/python -m benchmarks.bench_files
	$(BIN)/python -m benchmarks.bench_dbt
	$(BIN)/python -m benchmarks.bench_pipeline

unit: setup
	$(BIN)/pytest tests/unit

lint: setup
	$(BIN)/ruff check .
	$(BIN)/lakepulse lint

check-trino: setup
	$(BIN)/lakepulse check-trino

up: setup
	$(BIN)/lakepulse up

down:
	@test -x $(BIN)/lakepulse && $(BIN)/lakepulse down || true

status: setup
	$(BIN)/lakepulse status

clean: down
	rm -rf .lakepulse dbt_project/target
