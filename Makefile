# One entry point for everything: `make test` (all gates), `make demo`.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
ENV := source scripts/env.sh &&
SCENARIO ?= common

.PHONY: help bootstrap test test-fast lint sanity unit argspecs tosca-lint build-test integration molecule molecule-all demo demo-down bench-htcondor bench-harness bench-modules bench-cache bench-squid bench-xcache bench-spark bench-tosca-lint bench-tosca-deploy tosca-deploy clean

help:
	@echo "make test       bootstrap, then every gate and every Molecule scenario (what CI runs)"
	@echo "make test-fast  the gates without Molecule"
	@echo "make molecule SCENARIO=x   one Molecule scenario (default: common)"
	@echo "make demo       a real HTCondor cluster in local containers (make demo-down removes it)"

bootstrap:
	@scripts/bootstrap

test: bootstrap
	@scripts/test all

test-fast: bootstrap
	@scripts/test fast

lint sanity unit argspecs tosca-lint build-test integration molecule-all: bootstrap
	@scripts/test $@

molecule: bootstrap
	@scripts/test molecule $(SCENARIO)

demo: bootstrap
	@scripts/demo

demo-down:
	@scripts/demo down

bench-htcondor: bootstrap
	@$(ENV) python benchmarks/htcondor_pool.py

bench-tosca-deploy: bootstrap
	@$(ENV) python benchmarks/tosca_deploy.py

tosca-deploy: bootstrap
	@scripts/test tosca-deploy

bench-spark: bootstrap
	@$(ENV) python benchmarks/spark_cluster.py

bench-harness: bootstrap
	@$(ENV) python benchmarks/harness.py

bench-modules: bootstrap
	@$(ENV) python benchmarks/modules.py

bench-cache: bootstrap
	@$(ENV) python benchmarks/data_cache.py

bench-squid: bootstrap
	@$(ENV) python benchmarks/data_cache.py --only squid

bench-xcache: bootstrap
	@$(ENV) python benchmarks/data_cache.py --only xcache

bench-tosca-lint: bootstrap
	@$(ENV) python benchmarks/tosca_lint.py

clean:
	@$(ENV) scripts/pkgcache stop
	rm -rf .cache tests/output dodas-dodas-*.tar.gz
