# Two commands: `make run` starts aetui, `make test` runs the tests. Both set up .venv first:
# `run` installs what running needs; `test` adds the test tools and Ray (for the sweep tests).
PYTHON ?= python3
VENV := .venv
RUN_STAMP := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test
PIP := $(VENV)/bin/pip install --quiet --disable-pip-version-check

.PHONY: run test bench reproduce clean

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "aetui needs Python 3.11 or newer"'
	$(PYTHON) -m venv $(VENV)

$(RUN_STAMP): pyproject.toml | $(VENV)/bin/python
	@echo "aetui: installing aetui and what it runs on into $(VENV) (TensorFlow: a few minutes the first time)"
	@$(PIP) -e .
	@touch $@

$(TEST_STAMP): pyproject.toml $(RUN_STAMP)
	@echo "aetui: installing the test tools and Ray into $(VENV) (a few minutes the first time)"
	@$(PIP) -e '.[test,ray]'
	@touch $@

run: $(RUN_STAMP)
	$(VENV)/bin/aetui $(ARGS)

test: $(TEST_STAMP)
	$(VENV)/bin/pytest $(PYTEST_ARGS)

bench: $(RUN_STAMP)
	$(VENV)/bin/python bench/run.py

reproduce: $(RUN_STAMP)
	$(VENV)/bin/python bench/reproduce.py $(ARGS)

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache dist
