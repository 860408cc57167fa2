# Two entry points: `make demo` (the main job, offline) and `make test`.
# Both create .venv and install pinned versions (constraints.txt) on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: demo test lock clean system-packages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/pip install -q -c constraints.txt -e '.[analysis]'
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install -q -c constraints.txt -e '.[test]'
	touch $@

demo: $(VENV)/.installed
	$(BIN)/dgsn-corpus demo --workdir demo-work

# The Debian programs the tests run for real, installed with apt-get when missing (as root, or
# through sudo): chromium (the report's browser test), redis-server (the shared crawl frontier).
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
system-packages:
	@missing=""; \
	command -v chromium >/dev/null || command -v chromium-browser >/dev/null || missing="$$missing chromium"; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	if [ -n "$$missing" ]; then \
		echo "installing the Debian packages the tests run:$$missing"; \
		$(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

# Two test processes (pytest-xdist): the tests wait on servers and subprocesses as much as they compute.
test: system-packages $(VENV)/.installed-test
	$(BIN)/python -m pytest -q -n 2

# Refresh the pins after changing dependencies in pyproject.toml (--all: setuptools too, which scrapyd needs below 81).
lock: $(VENV)/.installed-test
	$(BIN)/pip freeze --all --exclude-editable | grep -v -E '^(-e |pip==)' > constraints.txt

clean:
	rm -rf $(VENV) demo-work .pytest_cache .hypothesis
