# The two commands of the README: `make demo` and `make test`. Both create the virtual
# environment in .venv (if missing), install the project with its dev extra, and run.
PY ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test bench dashboard chromium clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	@echo "installing the project into $(VENV) (first run only) ..."
	@$(BIN)/python -m pip install -q --disable-pip-version-check -e ".[dev]"
	@touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	@$(BIN)/python -m abm demo

test: $(STAMP)
	@$(BIN)/ruff check .
	@$(BIN)/python -m pytest

# The browser tests and the dashboard need Debian's chromium (tests) and the dev extra.
chromium:
	@test -x /usr/bin/chromium || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

dashboard: $(STAMP)
	@$(BIN)/python -m abm dashboard examples/ocam_agh2004.toml

bench: $(STAMP)
	@$(BIN)/python -m benchmarks.run

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis results demo-output
