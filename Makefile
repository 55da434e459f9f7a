# ipc-static: `make` builds ./ipc-static (static) and ./ipc-dynamic (the same
# code, dynamically linked) in this directory; `make test` runs every test.
# Both are stripped copies; cargo's artifacts under target/ keep their symbol
# tables, so `nm` can show that no allocator is linked in.
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
ifeq ($(findstring musl,$(STATIC_TARGET)),)
STATIC_FLAGS := -C target-feature=+crt-static
endif

.PHONY: all ipc-static ipc-dynamic test unit-tests integration-tests freebsd-check deps \
        bench sweep sweep-full reliability fuzz clean

all: ipc-static ipc-dynamic

ipc-static:
	cd $(TOP) && RUSTFLAGS="$(STATIC_FLAGS)" $(CARGO) build --release --target $(STATIC_TARGET)
	strip -o $(TOP)/ipc-static.tmp $(TOP)/target/$(STATIC_TARGET)/release/ipc-static
	mv $(TOP)/ipc-static.tmp $(TOP)/ipc-static

ipc-dynamic:
	cd $(TOP) && $(CARGO) build --release --target $(HOST)
	strip -o $(TOP)/ipc-dynamic.tmp $(TOP)/target/$(HOST)/release/ipc-static
	mv $(TOP)/ipc-dynamic.tmp $(TOP)/ipc-dynamic

# Tools the tests need (strace, bpftrace, gnuplot, rustup targets).
deps:
	$(TOP)/scripts/install-deps.sh

test: deps all unit-tests freebsd-check integration-tests

unit-tests:
	cd $(TOP) && $(CARGO) test -p ipc-static --bins

integration-tests: all
	cd $(TOP) && $(CARGO) test -p ipc-static-tests -- --test-threads=2

freebsd-check:
	@if rustup target list --installed 2>/dev/null | grep -qx x86_64-unknown-freebsd; then \
		cd $(TOP) && $(CARGO) check --target x86_64-unknown-freebsd; \
	else \
		echo "*** WARNING: the x86_64-unknown-freebsd target could not be installed:"; \
		echo "*** SKIPPING cargo check --target x86_64-unknown-freebsd"; \
	fi

clean:
	cd $(TOP) && $(CARGO) clean
	rm -f $(TOP)/ipc-static $(TOP)/ipc-dynamic
