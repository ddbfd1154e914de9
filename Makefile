# The two commands of the README:
#   make demo   runs the default scenario end to end and writes its maps into figures/
#   make test   runs the whole test suite (what CI runs)
# Both create or reuse a virtual environment in .venv (Python 3.11 when available) and install what they need.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test test-fast bench shapes clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# make demo OBSERVED=../shared/data/ucdp_ged_sahel_2010_2019.csv   also draws the hindcast against that GED file
demo: $(STAMP)
	$(VENV)/bin/spillover demo $(if $(OBSERVED),--observed "$(OBSERVED)")

test: $(STAMP)
	$(PY) -m pytest -n 2 --durations=15

test-fast: $(STAMP)
	$(PY) -m pytest -n 2 -m "not slow"

bench: $(STAMP)
	$(PY) benchmarks/bench_grid.py

shapes: $(STAMP)
	$(VENV)/bin/spillover shapes build

clean:
	rm -rf runs .pytest_cache
