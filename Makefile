# Recipients: every task goes through here. On a fresh machine each target installs what it needs:
# uv and the SAM CLI each in their own virtualenv under .tools/ (SAM pins boto3 and pydantic
# versions that clash with the app's), the app's locked dependencies in .venv/, the Node SDK
# tests' locked npm packages in tests/contract/node/node_modules/, and for the browser tests Debian's
# chromium package and their locked npm packages in tests/browser/node_modules/.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# Python 3.13, the version of the Lambda runtime: PYTHON if given, else the first python3.13 on PATH
# that really runs 3.13 (a pyenv shim of that name fails when 3.13 is not the selected version), else
# the newest 3.13 installed by pyenv (found in its root even when pyenv itself is not on PATH).
# PYTHON becomes that interpreter's own absolute path.
PYTHON_VERSION := 3.13
IS_PYTHON_VERSION := import sys; print(sys.executable) if "%d.%d" % sys.version_info[:2] == "$(PYTHON_VERSION)" else sys.exit(1)
PYENV_ROOT ?= $(or $(shell pyenv root 2>/dev/null),$(HOME)/.pyenv)
PYTHON_INSTALL := (pyenv install $(PYTHON_VERSION), or your system's python$(PYTHON_VERSION) package)
ifdef PYTHON
# Recursive (=): the wrong interpreter is asked for its version only when make stops on it.
PYTHON_GIVEN := $(PYTHON)
PYTHON_GIVEN_IS = $(or $(shell "$(PYTHON_GIVEN)" --version 2>&1 | grep -E '^Python [0-9]'),not a Python that runs)
PYTHON_MISSING = Python $(PYTHON_VERSION) is needed; PYTHON=$(PYTHON_GIVEN) is $(PYTHON_GIVEN_IS). Install $(PYTHON_VERSION) $(PYTHON_INSTALL) \
	and run make PYTHON=/path/to/python$(PYTHON_VERSION) $(or $(MAKECMDGOALS),help), or leave PYTHON unset to let make find it
override PYTHON := $(shell "$(PYTHON)" -c '$(IS_PYTHON_VERSION)' 2>/dev/null)
else
PYTHON_MISSING := no Python $(PYTHON_VERSION) found: install it $(PYTHON_INSTALL), or name it with make \
	PYTHON=/path/to/python$(PYTHON_VERSION)
override PYTHON := $(shell for candidate in $$(type -ap python$(PYTHON_VERSION)) \
		$$(ls -d "$(PYENV_ROOT)"/versions/$(PYTHON_VERSION).*/bin/python$(PYTHON_VERSION) 2>/dev/null | sort -rV); do \
	"$$candidate" -c '$(IS_PYTHON_VERSION)' 2>/dev/null && break; done)
endif
ifeq ($(PYTHON),)
ifneq ($(filter-out help clean,$(or $(MAKECMDGOALS),help)),)
$(error $(PYTHON_MISSING))
endif
endif
export PYTHON
UV_VERSION := 0.13.9
SAM_VERSION := 1.170.0
CHECKOV_VERSION := 3.3.30
TOOLS := .tools
UV := $(TOOLS)/uv/bin/uv
SAM := $(TOOLS)/sam/bin/sam
CHECKOV := $(TOOLS)/checkov/bin/checkov
VENV := .venv
PY := $(VENV)/bin/python
PYTEST := $(PY) -m pytest -p no:cacheprovider
NODE_TESTS := tests/contract/node
NODE_MODULES := $(NODE_TESTS)/node_modules/.installed
BROWSER_TESTS := tests/browser
BROWSER_MODULES := $(BROWSER_TESTS)/node_modules/.installed
CHROMIUM := /usr/bin/chromium
export SAM_CLI_TELEMETRY := 0
export UV_PYTHON := $(PYTHON)

.PHONY: help dev deps format lint validate build unit integration contract browser test drift openapi run invoke bench deploy smoke clean

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(UV):
	@echo "installing uv $(UV_VERSION) into $(TOOLS)/uv"
	@$(PYTHON) -m venv $(TOOLS)/uv
	@$(TOOLS)/uv/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION) > $(TOOLS)/uv-install.log 2>&1 \
		|| { cat $(TOOLS)/uv-install.log; exit 1; }

$(SAM):
	@echo "installing the SAM CLI $(SAM_VERSION) into $(TOOLS)/sam (about a minute, once)"
	@$(PYTHON) -m venv $(TOOLS)/sam
	@$(TOOLS)/sam/bin/pip install --quiet --disable-pip-version-check aws-sam-cli==$(SAM_VERSION) \
		> $(TOOLS)/sam-install.log 2>&1 || { cat $(TOOLS)/sam-install.log; exit 1; }

# checkov pins its own boto3, pydantic and cfn-lint, so it gets a virtualenv of its own too.
$(CHECKOV):
	@echo "installing checkov $(CHECKOV_VERSION) into $(TOOLS)/checkov (about a minute, once)"
	@$(PYTHON) -m venv $(TOOLS)/checkov
	@$(TOOLS)/checkov/bin/pip install --quiet --disable-pip-version-check checkov==$(CHECKOV_VERSION) \
		> $(TOOLS)/checkov-install.log 2>&1 || { cat $(TOOLS)/checkov-install.log; exit 1; }

$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	@$(UV) sync --locked --quiet
	@touch $@

# The official Node SDK for tests/contract/test_node_sdk.py, from its package-lock.json. The stamp lives
# in node_modules/, which npm ci replaces whole: deleting node_modules/ reinstalls too.
$(NODE_MODULES): $(NODE_TESTS)/package.json $(NODE_TESTS)/package-lock.json
	@command -v npm > /dev/null \
		|| { echo "the Node SDK tests need Node 20 and npm: install them (nodejs.org, or your system's nodejs and npm packages)"; exit 1; }
	@echo "installing @knocklabs/node into $(NODE_TESTS) (npm ci)"
	@npm ci --prefix $(NODE_TESTS) --no-audit --no-fund --loglevel=error > /dev/null
	@touch $@

# The browser tests' @knocklabs/client and playwright-core, from tests/browser/package-lock.json, as above.
# playwright-core downloads no browser: it drives Debian's chromium.
$(BROWSER_MODULES): $(BROWSER_TESTS)/package.json $(BROWSER_TESTS)/package-lock.json
	@command -v npm > /dev/null \
		|| { echo "the browser tests need Node 20 and npm: install them (nodejs.org, or your system's nodejs and npm packages)"; exit 1; }
	@echo "installing @knocklabs/client and playwright-core into $(BROWSER_TESTS) (npm ci)"
	@PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --prefix $(BROWSER_TESTS) --no-audit --no-fund --loglevel=error > /dev/null
	@touch $@

# Debian's chromium for the browser tests, once: apt-get update only when the package lists do not
# have it or are too old to download it.
$(CHROMIUM):
	@command -v apt-get > /dev/null \
		|| { echo "the browser tests need Chromium at $(CHROMIUM): install it (your system's chromium package)"; exit 1; }
	@echo "installing Debian's chromium package (apt-get, once)"
	@export DEBIAN_FRONTEND=noninteractive; log=$$(mktemp); \
	apt_install() { apt-get install -y -qq --no-install-recommends chromium >> "$$log" 2>&1; }; \
	{ apt-cache show chromium > /dev/null 2>&1 && apt_install; } \
		|| { apt-get update -qq >> "$$log" 2>&1 && apt_install; } \
		|| { cat "$$log"; rm -f "$$log"; exit 1; }; \
	rm -f "$$log"

setup: $(VENV)/.synced

dev: $(VENV)/.synced $(NODE_MODULES) ## set up a development checkout (dependencies and the git pre-commit hook)
	@$(VENV)/bin/pre-commit install

deps: $(UV) ## refresh uv.lock and the layer's requirements.txt after changing pyproject.toml
	@$(UV) lock --quiet
	@$(UV) export --frozen --no-dev --no-emit-project --no-hashes --quiet -o layers/recipients/requirements.txt

format: $(VENV)/.synced ## format and auto-fix the code
	@$(VENV)/bin/ruff format .
	@$(VENV)/bin/ruff check --fix .

lint: $(VENV)/.synced ## ruff, formatting and mypy (strict on the layer)
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .
	@$(VENV)/bin/mypy

# checkov: zero failed checks; each check a resource skips says why in its Metadata (--skip-download:
# no call to the vendor's API, the checks are those of the pinned version).
validate: $(SAM) $(CHECKOV) ## sam validate --lint (cfn-lint) and checkov on the templates, and SAM's transform with SnapStart off and on
	@$(SAM) validate --lint --template template.yaml
	@$(TOOLS)/sam/bin/cfn-lint --parameters SnapStart=true -- template.yaml
	@$(SAM) validate --lint --template examples/consumer/template.yaml
	@for snapstart in false true; do $(TOOLS)/sam/bin/python -m local.sam_render SnapStart=$$snapstart > /dev/null; done
	@$(CHECKOV) --file template.yaml --framework cloudformation --quiet --compact --skip-download

# SAM looks for the runtime's python3.13 on PATH (and the layer's Makefile runs it): this one comes first.
build: $(SAM) ## sam build (no container): the layer is built for arm64 Lambda
	@mkdir -p $(TOOLS)/python && ln -sfn "$(PYTHON)" $(TOOLS)/python/python$(PYTHON_VERSION)
	@PATH="$(abspath $(TOOLS)/python):$$PATH" $(SAM) build --template template.yaml --parallel

unit: $(VENV)/.synced $(SAM) $(NODE_MODULES) ## unit tests (in-process moto) and the importer's tests
	@$(PYTEST) tests/unit tests/importer -q -n 2

integration: $(VENV)/.synced ## HTTP tests against the local API on moto server (or API_URL)
	@$(PYTEST) tests/integration -q

contract: $(VENV)/.synced $(NODE_MODULES) ## the official knockapi and @knocklabs/node SDKs against the local API
	@$(PYTEST) tests/contract -q

browser: $(VENV)/.synced $(NODE_MODULES) $(BROWSER_MODULES) $(CHROMIUM) ## @knocklabs/client in headless Chromium against the local API
	@$(PYTEST) tests/browser -q

drift: $(VENV)/.synced ## fail if uv.lock, the layer requirements or openapi.json are stale
	@$(UV) lock --check --quiet
	@exported=$$(mktemp) && $(UV) export --frozen --no-dev --no-emit-project --no-hashes --quiet -o "$$exported" \
		&& diff -q -I '^#' "$$exported" layers/recipients/requirements.txt > /dev/null && rm -f "$$exported" \
		|| { echo "layers/recipients/requirements.txt is stale: run make deps"; exit 1; }
	@$(PY) -m local.openapi --check

# --dist loadgroup: the tests of an xdist_group (the browser tests: one Chromium, one server) stay on one worker.
# --durations: the slowest tests, to keep CI under its 20 minutes.
test: lint validate drift build $(NODE_MODULES) $(BROWSER_MODULES) $(CHROMIUM) ## everything CI runs: lint, template checks, sam build, all tests
	@$(PYTEST) tests -q -n 2 --dist loadgroup --durations=30

openapi: $(VENV)/.synced ## regenerate openapi.json from the resolvers
	@$(PY) -m local.openapi

# LOG=json: the functions' JSON logs and EMF metric lines too; EVENTS=json: each bus event's JSON too.
run: export RECIPIENTS_LOG = $(LOG)
run: export RECIPIENTS_EVENTS = $(EVENTS)
run: $(VENV)/.synced ## serve the API on http://127.0.0.1:$${PORT:-3000} on moto server, one line a request (LOG=json, EVENTS=json)
	@$(PY) -m local.server

invoke: $(VENV)/.synced ## run one function with one event: make invoke FN=GetFunction EVENT=events/get.json
	@test -n "$(FN)" -a -n "$(EVENT)" || { echo "usage: make invoke FN=<LogicalId> EVENT=events/<file>.json"; exit 2; }
	@$(PY) -m local.invoke "$(FN)" "$(EVENT)"

bench: $(VENV)/.synced ## measure requests per operation, cold starts, warm CPU, bulk; writes bench/results.json (ARGS="--help")
	@$(PY) -m bench $(ARGS)

deploy: build ## sam deploy --guided (needs AWS credentials)
	@$(SAM) deploy --guided

smoke: export RECIPIENTS_API_KEY = $(KEY)
smoke: ## check a deployment in seconds: make smoke URL=<ApiUrl> KEY=sk_... (needs only Python; prints no key)
	@test -n "$(URL)" -a -n "$$RECIPIENTS_API_KEY" \
		|| { echo "usage: make smoke URL=https://<api id>.execute-api.<region>.amazonaws.com KEY=sk_..."; exit 2; }
	@$(PYTHON) -m smoke "$(URL)"

clean: ## remove build output and caches (keeps .venv and .tools)
	@rm -rf .aws-sam .mypy_cache .ruff_cache
	@find . -name __pycache__ -type d -prune -not -path "./.venv/*" -not -path "./.tools/*" -exec rm -rf {} +
