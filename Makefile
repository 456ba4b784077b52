# Kind Alarm. `make run` starts the local stack; `make test` runs every check. Both set themselves up.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)

API_PORT ?= 8000
MOTO_PORT ?= 5000
SINK_PORT ?= 8025
SITE_PORT ?= 8030
export AWS_DEFAULT_REGION ?= eu-west-1

.PHONY: run demo canary package deploy openapi previews test lint typecheck unit functional e2e bench fmt clean chromium

run: $(STAMP)
	$(BIN)/python -m devstack.stack --api-port $(API_PORT) --moto-port $(MOTO_PORT) --sink-port $(SINK_PORT) --site-port $(SITE_PORT) $(if $(CANARY_EVERY),--canary-every $(CANARY_EVERY))

demo: $(STAMP)
	$(BIN)/python -m devstack.demo --api http://127.0.0.1:$(API_PORT) --sink http://127.0.0.1:$(SINK_PORT) --site http://127.0.0.1:$(SITE_PORT)

test: lint typecheck chromium
	$(BIN)/python -m pytest

# The browser tests and `make previews` drive Debian's Chromium (Playwright's own browser download cannot be fetched
# here). Installed when absent and we may (root with apt-get); otherwise this says how to get it, as the tests will.
CHROMIUM_HINT := the browser tests need Chromium: apt-get update && apt-get install -y chromium (as root), or set KINDALARM_CHROMIUM=/path/to/chromium
chromium:
	@if [ -n "$$KINDALARM_CHROMIUM" ]; then \
		test -x "$$KINDALARM_CHROMIUM" || { echo "KINDALARM_CHROMIUM=$$KINDALARM_CHROMIUM is no program; $(CHROMIUM_HINT)"; exit 1; }; \
	elif command -v chromium >/dev/null 2>&1 || test -x /usr/bin/chromium; then \
		:; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		echo "installing Debian's chromium for the browser tests"; \
		{ apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; } \
			|| { echo "installing chromium failed; $(CHROMIUM_HINT)"; exit 1; }; \
	else \
		echo "NOTE: $(CHROMIUM_HINT)"; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	mkdir -p build
	$(BIN)/python -m infra.channels > build/resources.json
	$(BIN)/cfn-lint infra/resources.json build/resources.json

typecheck: $(STAMP)
	$(BIN)/mypy

unit functional e2e: $(STAMP)
	$(BIN)/python -m pytest tests/$@ --no-cov

bench: $(STAMP)
	@for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

# One canary run against the running stack (or one of its own): a test alert to every channel's sandbox and back.
canary: $(STAMP)
	$(BIN)/python -m devstack.canary --api http://127.0.0.1:$(API_PORT) --aws http://127.0.0.1:$(MOTO_PORT)

openapi: $(STAMP)
	$(BIN)/python -c "import json; from chalicelib.http.openapi import openapi_document as d; print(json.dumps(d(), indent=2))" > docs/openapi.json

previews: $(STAMP) chromium
	$(BIN)/python -m devstack.previews
	$(BIN)/python -m devstack.site_previews

STAGE ?= dev
package: $(STAMP)
	mkdir -p build
	$(BIN)/python infra/merge.py > build/merge-template.json
	$(BIN)/chalice package --stage $(STAGE) --merge-template build/merge-template.json build/$(STAGE)
	$(BIN)/python infra/precompile.py build/$(STAGE)/deployment.zip
	$(BIN)/cfn-lint build/$(STAGE)/sam.json
	@echo "deployable template: build/$(STAGE)/sam.json (code: build/$(STAGE)/deployment.zip)"

# Needs an AWS account: credentials, a bucket for the code (DEPLOY_BUCKET) and the parameters file
# (PARAMETERS, see docs/runbook.md). Uploads the zip, then creates or updates the stack kind-alarm-$(STAGE).
PARAMETERS ?= deploy/$(STAGE).parameters
deploy: package
	test -n "$(DEPLOY_BUCKET)" || { echo "set DEPLOY_BUCKET to an S3 bucket for the code"; exit 1; }
	test -f "$(PARAMETERS)" || { echo "write $(PARAMETERS): Key=Value lines, see docs/runbook.md"; exit 1; }
	aws cloudformation package --template-file build/$(STAGE)/sam.json \
		--s3-bucket $(DEPLOY_BUCKET) --output-template-file build/$(STAGE)/packaged.json --use-json
	aws cloudformation deploy --template-file build/$(STAGE)/packaged.json --stack-name kind-alarm-$(STAGE) \
		--capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND \
		--parameter-overrides Stage=$(STAGE) $$(cat $(PARAMETERS))

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
