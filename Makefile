# Two entry points (see README): `make baseline` and `make test`.
# Both create .venv with a Python >= 3.12 found by scripts/find-python, then install lsr_sim:
# `make baseline` only the core (the model, its tables and figures: `pip install -e .`);
# `make setup`, `make lint` and `make test` add the test stack (`.[test]`: pytest, playwright,
# jupyterlab, the sweep, inference and dashboard extras).
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check
HASH := $(shell cksum < pyproject.toml | cut -d' ' -f1)
CORE := $(VENV)/.core-$(HASH)
FULL := $(VENV)/.installed-$(HASH)

.PHONY: baseline test lint setup clean

$(CORE): pyproject.toml
	@python=$$(sh scripts/find-python) || exit 1; \
	  [ -x $(BIN)/python ] || { echo "creating $(VENV) with $$python"; $$python -m venv $(VENV); }
	$(PIP) -e .
	@rm -f $(VENV)/.core-*; touch $@

$(FULL): $(CORE)
	$(PIP) -e '.[test]'
	@rm -f $(VENV)/.installed-*; touch $@

setup: $(FULL)

baseline: $(CORE)
	$(BIN)/lsr-sim run scenarios/baseline.yaml --out results/baseline
	$(BIN)/lsr-sim calibrate scenarios/baseline.yaml --runs 200

lint: $(FULL)
	$(BIN)/ruff check lsr_sim tests benchmarks notebooks
	$(BIN)/ruff format --check lsr_sim tests benchmarks notebooks
	$(BIN)/mypy lsr_sim

# The test files run on every core, a file to a process (its module fixtures are built once);
# `.venv/bin/python -m pytest tests/test_x.py` runs one file in this process.
test: lint
	$(BIN)/python -m pytest -n auto --dist loadfile

clean:
	rm -rf $(VENV) results .pytest_cache .hypothesis
