# LakePulse: `make demo` sets up, starts the embedded stack and runs seed -> CDC -> dbt Silver and Gold;
# `make test` sets up, runs the static checks (`make lint` without the SQL lint) and the test suite
# (it starts and stops its own stacks).
SHELL := /bin/bash
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PACKAGES := infra ingestion expectations flows

.PHONY: setup demo test unit check format lint bench check-trino up down status clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

demo: setup
	$(BIN)/lakepulse up
	$(BIN)/lakepulse demo

# static checks: formatting, lint, types (strict on infra/ingestion/expectations), import
# layers, no repeated blocks of 10+ lines in the Python packages
check: setup
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/pylint --disable=all --enable=duplicate-code --min-similarity-lines=10 \
	  --ignore-imports=yes --ignore-signatures=yes --score=no $(PACKAGES)

test: check
	$(BIN)/pytest

unit: setup
	$(BIN)/pytest tests/unit

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# `check` plus sqlfluff on the dbt project (Spark SQL through the dbt templater, Trino dialect)
lint: check
	$(BIN)/lakepulse lint

bench: setup
	$(BIN)/python -m benchmarks.bench_source
	$(BIN)/python -m benchmarks.bench_cdc
	$(BIN)/python -m benchmarks.bench_files
	$(BIN)/python -m benchmarks.bench_dbt
	$(BIN)/python -m benchmarks.bench_pipeline
	$(BIN)/python -m benchmarks.bench_spark_jvm
	$(BIN)/python -m benchmarks.bench_engines

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
