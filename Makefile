# cnids: build, test and experiment targets. Run `make help` for the list.

GO      ?= go
SHARED  ?= ../shared
BIN     := bin
DATA    := $(SHARED)/datasets
KDD     := $(DATA)/nsl-kdd/KDDTrain+.txt.gz
OUT     ?= out
SEED    ?= 1

# Debian packages the build and tests need (cgo for -race and libpcap,
# OpenBLAS for fast matrix products).
DEBS := gcc libc6-dev pkg-config libpcap-dev libopenblas-dev

.PHONY: help setup build test demo default-model detect cv bench bench-train fuzz clean

help:
	@echo "make setup        install the Debian packages the build needs (apt-get; sudo when not root)"
	@echo "make demo         setup, build, then replay a lab capture with the embedded model and print alerts"
	@echo "make default-model  retrain the embedded model on KDDTrain+"
	@echo "make detect       per-phase detection on the lab captures and the public attack traces"
	@echo "make test         go vet and the race-enabled test suite (what CI runs)"
	@echo "make cv           5-fold cross-validation of the cnn on the full KDDTrain+ (long)"
	@echo "make bench-train  training and inference speed beside PyTorch (long; needs python3-torch)"
	@echo "make fuzz         run every fuzz target for FUZZTIME (default 30s) each"

setup:
	@missing=""; for p in $(DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		if [ "$$(id -u)" -eq 0 ]; then SUDO=""; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

build:
	$(GO) build -o $(BIN)/ ./cmd/...

# The main job: replay a capture with the embedded default model and print
# the alerts (JSON lines on stdout, logs on stderr).
demo: setup build
	$(BIN)/cnids replay $(SHARED)/pcaps/lab/r2l-ftp-bruteforce.pcap

# The embedded default model: the cnn trained on KDDTrain+ (20% held out,
# stratified, for early stopping and the alert threshold).
default-model: build
	$(BIN)/cnids-train fit --dataset nsl-kdd --train $(KDD) --arch cnn --seed $(SEED) \
		--out cmd/cnids/models/nsl-kdd-cnn.model --report $(OUT)/default-model

# Per-phase detection of the lab captures and per-file detection of the
# public attack traces with the embedded model.
detect: build
	$(BIN)/cnids-bench detect --model cmd/cnids/models/nsl-kdd-cnn.model --lab $(SHARED)/pcaps/lab --public $(SHARED)/pcaps/public

test:
	$(GO) vet ./...
	$(GO) test -race -timeout 30m ./...

cv: build
	$(BIN)/cnids-train cv --dataset nsl-kdd --train $(KDD) --arch cnn --folds 5 --repeats 1 \
		--seed $(SEED) --out $(OUT)/cv

bench-train: build
	$(GO) run ./cmd/cnids-bench train --train $(KDD)

FUZZTIME ?= 30s
fuzz:
	@for pkg in $$($(GO) list ./...); do \
		for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
			echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
		done; \
	done

clean:
	rm -rf $(BIN) $(OUT)
