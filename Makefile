# Kind Alarm. `make run` starts the local stack; `make test` runs every check. Both set themselves up.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)

API_PORT ?= 8000
MOTO_PORT ?= 5000
SINK_PORT ?= 8025
export AWS_DEFAULT_REGION ?= eu-west-1

.PHONY: run demo package previews test lint typecheck unit functional e2e bench fmt clean

run: $(STAMP)
	$(BIN)/python -m chalicelib.local.stack --api-port $(API_PORT) --moto-port $(MOTO_PORT) --sink-port $(SINK_PORT)

demo: $(STAMP)
	$(BIN)/python -m chalicelib.local.demo --api http://127.0.0.1:$(API_PORT) --sink http://127.0.0.1:$(SINK_PORT)

test: lint typecheck
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/cfn-lint infra/resources.json

typecheck: $(STAMP)
	$(BIN)/mypy

unit functional e2e: $(STAMP)
	$(BIN)/python -m pytest tests/$@ --no-cov

bench: $(STAMP)
	@for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

previews: $(STAMP)
	$(BIN)/python -m chalicelib.local.previews

STAGE ?= dev
package: $(STAMP)
	mkdir -p build
	$(BIN)/python infra/merge.py > build/merge-template.json
	$(BIN)/chalice package --stage $(STAGE) --merge-template build/merge-template.json build/$(STAGE)
	$(BIN)/cfn-lint build/$(STAGE)/sam.json
	@echo "deployable template: build/$(STAGE)/sam.json (code: build/$(STAGE)/deployment.zip)"

fmt: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	rm -f $(VENV)/.installed-*
	touch $@

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .coverage htmlcov
