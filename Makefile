# Mailroom: the two commands a newcomer needs are `make demo` and `make test`.
# Both build on `make setup`: Debian packages for Qt (tools/system_deps.sh), then .venv with the pinned packages.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.stamp

.DEFAULT_GOAL := help
.PHONY: help setup system-deps test lint demo bench bundle screenshots clean distclean

help:
	@echo "make demo    start Mailroom in demo mode against the local Exchange emulator"
	@echo "make test    lint, layering check and the whole test suite, headless"
	@echo "make setup   Debian packages for Qt + .venv with the pinned packages (both of the above do this)"
	@echo "make lint    ruff and import-linter only"
	@echo "make bench   run the benchmarks in bench/"
	@echo "make screenshots  the main window and every dialog in docs/screenshots/ (offscreen, demo tenant)"
	@echo "make bundle  build the one-folder app bundle dist/mailroom/ with PyInstaller (pyinstaller.spec)"
	@echo "make clean   remove caches and build output (distclean also removes .venv)"

setup: system-deps $(STAMP)

system-deps:
	@sh tools/system_deps.sh

# Reinstall only when pyproject.toml changed (or the venv is new).
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check -e '.[dev]'
	@touch $@

lint: setup
	$(BIN)/ruff check .
	$(BIN)/lint-imports

test: lint
	QT_QPA_PLATFORM=offscreen $(BIN)/pytest

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

clean:
	rm -rf build dist *.egg-info .pytest_cache .ruff_cache .import_linter_cache
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
