# Mailroom: the two commands a newcomer needs are `make demo` and `make test`.
# Both build on `make setup`: python3-venv and the Debian packages Qt needs (tools/system_deps.sh), then .venv
# with the pinned packages, then a check that every shared library of the installed Qt resolves.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.stamp

.DEFAULT_GOAL := help
.PHONY: help setup system-deps test lint demo bench bundle screenshots clean distclean fresh-test

help:
	@echo "make demo    start Mailroom in demo mode against the local Exchange emulator"
	@echo "make test    lint, layering check and the whole test suite, headless"
	@echo "make setup   Debian packages for Qt + .venv with the pinned packages (both of the above do this)"
	@echo "make lint    ruff and import-linter only"
	@echo "make bench   run the benchmarks in bench/"
	@echo "make screenshots  the main window and every dialog in docs/screenshots/ (offscreen, demo tenant)"
	@echo "make bundle  build the one-folder app bundle dist/mailroom/ with PyInstaller (pyinstaller.spec)"
	@echo "make clean   remove caches and build output (distclean also removes .venv)"
	@echo "make fresh-test  (root) make test in a new minimal Debian 12 chroot from a clean clone (tools/fresh_debian.sh)"

setup: system-deps $(STAMP)
	@sh tools/system_deps.sh --libs $(BIN)/python

system-deps:
	@PYTHON=$(PYTHON) sh tools/system_deps.sh

# A usable venv has an interpreter that runs and pip in it. One that lacks either (`python3 -m venv` stopped
# half-way because python3-venv was missing, or the Python it was made from is gone) is rebuilt, whatever the
# stamp says. The test is file-based, so `make help` and the like cost nothing.
VENV_OK := $(and $(realpath $(BIN)/python),$(wildcard $(VENV)/lib/python3*/site-packages/pip/__init__.py))
ifeq ($(VENV_OK),)
.PHONY: $(STAMP)
endif

# Reinstall only when pyproject.toml changed (or the venv is new or broken).
$(STAMP): pyproject.toml
	@if ! $(BIN)/python -m pip --version >/dev/null 2>&1; then \
		if [ -e $(VENV) ]; then echo "setup: $(VENV) is incomplete (no working pip): making it again"; rm -rf $(VENV); fi; \
		$(PYTHON) -m venv $(VENV); \
	fi
	$(BIN)/python -m pip install --disable-pip-version-check -e '.[dev]'
	@touch $@

lint: setup
	$(BIN)/ruff check .
	$(BIN)/lint-imports

# PYTEST_ARGS: e.g. `make test PYTEST_ARGS=tests/app/test_compose.py` (the default is the whole suite).
test: lint
	QT_QPA_PLATFORM=offscreen $(BIN)/pytest $(PYTEST_ARGS)

demo: setup
	$(BIN)/python -m app --demo

# The bundle: PyInstaller comes from the `bundle` extra, installed on first use (BUNDLE_STAMP).
BUNDLE_STAMP := $(VENV)/.stamp-bundle

$(BUNDLE_STAMP): pyproject.toml $(STAMP)
	$(BIN)/python -m pip install --disable-pip-version-check -e '.[dev,bundle]'
	@touch $@

bundle: setup $(BUNDLE_STAMP)
	@sh packaging/linux/build_deps.sh
	$(BIN)/pyinstaller --noconfirm --log-level WARN pyinstaller.spec
	@echo "bundle: dist/mailroom/mailroom ($$(du -sh dist/mailroom | cut -f1)); check it with dist/mailroom/mailroom --selftest"

# One PNG per entry of app.screenshot.DIALOGS, plus the main window: what the docs show is what the code draws.
screenshots: setup
	@mkdir -p docs/screenshots
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m app --demo --user alice --screenshot docs/screenshots/main-window.png
	@set -e; for name in $$($(BIN)/python -c "from app.screenshot import DIALOGS; print(*DIALOGS)"); do \
		echo "== $$name"; QT_QPA_PLATFORM=offscreen $(BIN)/python -m app --demo --screenshot-dialog $$name docs/screenshots/$$name.png; \
	done

bench: setup
	@set -e; found=0; for f in bench/*.py; do \
		[ -e "$$f" ] || continue; found=1; echo "== $$f"; $(BIN)/python "$$f"; \
	done; [ $$found -eq 1 ] || echo "no benchmarks in bench/ yet"

# make test in a new minimal Debian 12 root file system (debootstrap), from a clean clone of HEAD: catches a
# set-up step that only works on a machine where it was already done. Root only; .ci/run runs it.
fresh-test:
	@bash tools/fresh_debian.sh

clean:
	rm -rf --one-file-system build dist *.egg-info .pytest_cache .ruff_cache .import_linter_cache
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
