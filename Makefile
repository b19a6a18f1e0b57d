# The two commands: `make run` (generate the client and exercise it against the bundled sandbox) and
# `make test` (every check and test). Both create or update .venv first; nothing else is needed but
# Python >= 3.10 and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv run test golden bench lint typecheck clean

$(STAMP): pyproject.toml generated/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]' -e ./generated
	touch $(STAMP)

venv: $(STAMP)

run: venv
	$(BIN)/wechatpay-codegen validate specs
	$(BIN)/wechatpay-codegen generate --specs specs --out generated
	$(BIN)/python -m wechatpay_codegen.demo --specs specs

lint: venv
	$(BIN)/ruff check generator templates tests generated
	$(BIN)/black --check --quiet generator templates/runtime tests generated

typecheck: venv
	$(BIN)/mypy --strict generator/wechatpay_codegen templates/runtime
	$(BIN)/mypy --strict tests/unit/runtime  # the runtime's tests, against the generated copy
	cd generated && ../$(BIN)/mypy --strict wechatpay_marketing

test: venv
	$(BIN)/wechatpay-codegen validate specs
	$(BIN)/wechatpay-codegen doc-check --docs specs/pages --specs specs
	$(BIN)/wechatpay-codegen generate --check
	$(MAKE) --no-print-directory lint typecheck
	$(BIN)/pytest -q

# Refresh every stored expected output after a deliberate change (specs/, templates/, generator/):
# the templates compiled ahead of time (render/_precompiled), generated/ from specs/,
# tests/golden/expected from the golden fixture specs, and the bad-spec message snapshots.
# Review `git diff` afterwards: it is the change you are accepting.
golden: venv
	$(BIN)/python -m wechatpay_codegen.render.precompiled
	$(BIN)/wechatpay-codegen generate --specs specs --out generated
	UPDATE_GOLDEN=1 $(BIN)/pytest -q tests/golden
	UPDATE_SNAPSHOTS=1 $(BIN)/pytest -q tests/unit/test_bad_specs.py

bench: venv
	$(BIN)/python -m pip install -q -e '.[bench]'
	$(BIN)/python -m tests.benchmarks

clean:
	rm -rf $(VENV) .sandbox .pytest_cache .mypy_cache .ruff_cache
