# The two quick-start commands: `make run` and `make test`. Both set up .venv from the repo's own files.
# `make mutation` runs the mutant of every (scenario, switch) pair a criterion names, at smoke size.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PYTEST_ARGS ?=
MUTATION_ARGS ?=

export TESTBOTS_HOME ?= $(CURDIR)/.testbots
export DAGSTER_HOME  ?= $(TESTBOTS_HOME)/dagster

.PHONY: setup compiled compiler browser postgres promtool run mutation test lint typecheck imports unit ui bench clean

setup: $(STAMP) compiled

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "testbots needs $(PYTHON) on PATH (set PYTHON=/path/to/python3.11)"; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# simnet's hot path compiled with mypyc into build/simnet-compiled (simnet/_compile.py): rebuilt
# when a compiled module's source changed, a no-op while it matches. Where it cannot compile
# (no C compiler or Python headers), simnet runs its Python modules and logs so at start.
compiled: $(STAMP) compiler
	@$(BIN)/python -m simnet._compile build || echo "simnet runs pure Python (above: why)"

# a C compiler and Python's headers (Debian's gcc and python3.11-dev) for `compiled`
compiler:
	@{ command -v cc >/dev/null 2>&1 && test -f "$$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_paths()["include"])')/Python.h"; } || { \
	  echo "installing Debian's gcc and python3.11-dev to compile simnet's hot path"; \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gcc python3.11-dev; } >/dev/null \
	  || echo "could not install gcc and python3.11-dev: simnet will run pure Python"; }

run: setup
	@mkdir -p $(DAGSTER_HOME)
	@test -f $(DAGSTER_HOME)/dagster.yaml || cp dagster.yaml $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/python -m testbots_dagster transfer_baseline

# through Dagster, like `make run`: the runs, their checks and detection_power show in `make ui`
mutation: setup
	@mkdir -p $(DAGSTER_HOME)
	@test -f $(DAGSTER_HOME)/dagster.yaml || cp dagster.yaml $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/python -m testbots_dagster.mutation --size smoke $(MUTATION_ARGS)

lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy

imports: $(STAMP)
	$(BIN)/lint-imports

# the UI test looks at the Dagster asset page in headless Chromium (Debian's package)
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the headless UI test"; \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >/dev/null \
	  || { echo "could not install chromium: run 'apt-get install chromium' and retry"; exit 2; }; }

# the results-store and Dagster-storage tests start a throwaway PostgreSQL server (Debian's
# package; initdb into a temporary directory, run as `nobody` under root, stopped at the end)
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  echo "installing Debian's postgresql for the results-store and Dagster-storage tests"; \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; } >/dev/null \
	  || { echo "could not install postgresql: run 'apt-get install postgresql' and retry"; exit 2; }; }

# every /metrics page (testbots run, worker, coordinator, simnet) is checked with `promtool
# check metrics` (Debian's prometheus package; its server is not started by the tests)
promtool:
	@command -v promtool >/dev/null 2>&1 || { \
	  echo "installing Debian's prometheus for promtool (the /metrics tests)"; \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus; } >/dev/null \
	  || { echo "could not install prometheus: run 'apt-get install prometheus' and retry"; exit 2; }; }

unit: setup browser postgres promtool
	$(BIN)/pytest $(PYTEST_ARGS)

test: lint typecheck imports unit

ui: setup
	@mkdir -p $(DAGSTER_HOME)
	@test -f $(DAGSTER_HOME)/dagster.yaml || cp dagster.yaml $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1

bench: setup
	@for f in bench/[!_]*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
