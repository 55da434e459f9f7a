# ipc-static: `make` builds ./ipc-static (static) and ./ipc-dynamic (the same
# code, dynamically linked) in this directory; `make test` runs every test.
# Both are stripped copies; cargo's artifacts under target/ keep their symbol
# tables, so `nm` can show that no allocator is linked in. ./ipc-static.sym is
# the static build's function table (scripts/symbols.sh), which loop-profile
# uses to name the user frames of ./ipc-static.
# Works from anywhere: `make -C ipc` then `ipc/ipc-static ...`.

SHELL := /bin/bash
TOP := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
CARGO ?= cargo
HOST := $(shell rustc -vV 2>/dev/null | sed -n 's/^host: //p')
UNAME := $(shell uname -s)

# Linux: static musl when the target can be had, else gnu with +crt-static.
# FreeBSD: its libc links statically with +crt-static.
ifeq ($(UNAME),Linux)
STATIC_TARGET := $(shell $(TOP)/scripts/static-target.sh)
else
STATIC_TARGET := $(HOST)
endif
# (The musl target's flags are in .cargo/config.toml; RUSTFLAGS would
# override them, so it is only set for the gnu fallback.)
ifeq ($(findstring musl,$(STATIC_TARGET)),)
STATIC_ENV := RUSTFLAGS="-C target-feature=+crt-static -C relocation-model=static -C force-frame-pointers=yes"
endif

.PHONY: all ipc-static ipc-dynamic test unit-tests integration-tests freebsd-check deps \
        bench sweep sweep-full experiments-full reliability fuzz clean python-tests notebook

all: ipc-static ipc-dynamic

ipc-static:
	cd $(TOP) && $(STATIC_ENV) $(CARGO) build --release --target $(STATIC_TARGET)
	strip -o $(TOP)/ipc-static.tmp $(TOP)/target/$(STATIC_TARGET)/release/ipc-static
	mv $(TOP)/ipc-static.tmp $(TOP)/ipc-static
	if $(TOP)/scripts/symbols.sh $(TOP)/target/$(STATIC_TARGET)/release/ipc-static >$(TOP)/ipc-static.sym.tmp; then \
		mv $(TOP)/ipc-static.sym.tmp $(TOP)/ipc-static.sym; \
	else \
		rm -f $(TOP)/ipc-static.sym.tmp $(TOP)/ipc-static.sym; \
		echo "*** WARNING: no ipc-static.sym: loop-profile will show user frames as addresses"; \
	fi

ipc-dynamic:
	cd $(TOP) && $(CARGO) build --release --target $(HOST)
	strip -o $(TOP)/ipc-dynamic.tmp $(TOP)/target/$(HOST)/release/ipc-static
	mv $(TOP)/ipc-dynamic.tmp $(TOP)/ipc-dynamic

# Tools the tests need (strace, bpftrace, gnuplot, rustup targets).
deps:
	$(TOP)/scripts/install-deps.sh

test: deps all unit-tests freebsd-check integration-tests python-tests

unit-tests:
	cd $(TOP) && $(CARGO) test -p ipc-static --bins

integration-tests: all
	cd $(TOP) && $(CARGO) test -p ipc-static-tests --no-fail-fast -- --test-threads=2

freebsd-check:
	@if rustup target list --installed 2>/dev/null | grep -qx x86_64-unknown-freebsd; then \
		cd $(TOP) && $(CARGO) check --target x86_64-unknown-freebsd; \
	else \
		echo "*** WARNING: the x86_64-unknown-freebsd target could not be installed:"; \
		echo "*** SKIPPING cargo check --target x86_64-unknown-freebsd"; \
	fi

# The ipc_static Python module's tests, then notebooks/lab2.ipynb executed;
# `make notebook` executes it and saves its outputs.
python-tests: all
	$(TOP)/scripts/python-tests.sh

notebook: all
	$(TOP)/scripts/notebook.sh --in-place

# Experiments (scripts/sweep.sh, plot.sh, bench.sh): see docs/experiments.md.
SWEEP_STAMP := $(shell date +%Y%m%d-%H%M%S)
SWEEP_DIR ?= $(TOP)/results/sweep-$(SWEEP_STAMP)
SWEEP_FULL_DIR ?= $(TOP)/results/lab2-$(SWEEP_STAMP)

# A short default sweep: bare, 3 trials, Lab 2's configs and shmem (a minute or so).
sweep: all
	$(TOP)/scripts/sweep.sh -o "$(SWEEP_DIR)" -B -n 3 -b 32..16m -i pipe,local,local-s,shmem -m 2thread
	$(TOP)/scripts/plot.sh "$(SWEEP_DIR)"
	@echo "sweep results: $(SWEEP_DIR)/results.csv"
	@echo "plots: $(SWEEP_DIR)/bandwidth.svg and bandwidth-logy.svg (and .png); summary: $(SWEEP_DIR)/summary.txt"

# The full Lab 2 grid: quiescing on, 5 trials, 32 B to 16 MiB.
sweep-full: all
	$(TOP)/scripts/sweep.sh -o "$(SWEEP_FULL_DIR)"
	$(TOP)/scripts/plot.sh "$(SWEEP_FULL_DIR)"
	@echo "sweep results: $(SWEEP_FULL_DIR)/results.csv"
	@echo "plots: $(SWEEP_FULL_DIR)/bandwidth.svg and bandwidth-logy.svg (and .png); summary: $(SWEEP_FULL_DIR)/summary.txt"

# The long interruption campaign of sweep.sh and probe-effect.sh (make test
# runs its quick form): about 150 interrupted sweeps, a few minutes.
experiments-full: all
	cd $(TOP) && EXPERIMENTS_FULL=1 $(CARGO) test -p ipc-static-tests --test experiments -- interrupted --nocapture

# The binary's own performance report; QUICK=1 for a short one.
bench: all
	$(TOP)/scripts/install-deps.sh --bench
	$(TOP)/scripts/bench.sh $(if $(QUICK),--quick)

# The full reliability suite (make test runs its quick form), with the
# hostile surroundings of tests/tests/hostile.rs.
reliability: all
	cd $(TOP) && RELIABILITY_FULL=1 $(CARGO) test -p ipc-static-tests --test reliability --test hostile -- --nocapture

# cargo-fuzz on the argument parser for FUZZ_SECONDS (default 60).
fuzz: all
	$(TOP)/scripts/fuzz.sh $(FUZZ_SECONDS)

clean:
	cd $(TOP) && $(CARGO) clean
	rm -f $(TOP)/ipc-static $(TOP)/ipc-dynamic $(TOP)/ipc-static.sym
