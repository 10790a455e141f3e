# cnids: build, test and experiment targets. Run `make help` for the list.

GO      ?= go
SHARED  ?= ../shared
BIN     := bin
DATA    := $(SHARED)/datasets
KDD     := $(DATA)/nsl-kdd/KDDTrain+.txt.gz
OUT     ?= out
SEED    ?= 1

# Debian packages the build and tests need (cgo for -race and libpcap,
# OpenBLAS for fast matrix products, Chromium for the web console's browser tests).
DEBS := gcc libc6-dev pkg-config libpcap-dev libopenblas-dev iproute2 tcpreplay chromium

.PHONY: help setup build test demo default-model detect cv bench bench-train experiments compare-imblearn bench-balance lab2 site-model fuzz clean

help:
	@echo "make setup        install the Debian packages the build needs (apt-get; sudo when not root)"
	@echo "make demo         setup, build, then replay a lab capture with the embedded model and print alerts"
	@echo "make default-model  retrain the embedded model on KDDTrain+"
	@echo "make detect       per-phase detection on the lab captures and the public attack traces"
	@echo "make test         go vet and the race-enabled test suite (what CI runs)"
	@echo "make cv           5-fold cross-validation of the cnn on the full KDDTrain+ (long)"
	@echo "make bench-train  training and inference speed beside PyTorch (long; needs python3-torch)"
	@echo "make bench        sensor throughput beside argus and the read+decode floor; SYN-flood memory"
	@echo "make experiments  the balancing matrix on NSL-KDD (long)"
	@echo "make compare-imblearn  balance/ against imbalanced-learn (needs python3-imblearn)"
	@echo "make lab2         a second lab capture set with other parameters (root; about 5 minutes)"
	@echo "make site-model   train on KDDTrain+ plus the lab rows, judge on the second lab set"
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

# Benchmarks use the BLAS kernels the CPU supports: an inherited
# OPENBLAS_CORETYPE (some environments pin Haswell) is dropped.
BENCHENV := env -u OPENBLAS_CORETYPE

# Training and inference of the cnn beside PyTorch (python3-torch), with
# one thread and with all threads.
bench-train: build
	$(BENCHENV) $(BIN)/cnids-bench train --train $(KDD) --torch $(SHARED)/tools/torch-reference.py

# Sensor throughput on a large capture beside the read+decode floor and
# argus (argus-server), then the spoofed-source SYN flood memory test.
BENCHPCAP ?= $(OUT)/bench.pcap
bench: build
	@mkdir -p $(OUT)
	test -f $(BENCHPCAP) || bash $(SHARED)/tools/make-bench-pcap.sh $(BENCHPCAP) 6 $(SHARED)/pcaps/lab $(SHARED)/pcaps/public
	$(BENCHENV) $(BIN)/cnids-bench sensor --pcap $(BENCHPCAP)
	$(BENCHENV) $(BIN)/cnids-bench synflood --sources 1000000 --max-flows 100000
	$(BENCHENV) $(GO) test -run '^$$' -bench . -benchtime 2s ./internal/gemm ./model ./flow ./features ./alert

# The balancing matrix on NSL-KDD: cnn x every method, 3-fold stratified
# cross-validation, at most 10 epochs (early stopping after 3 without
# improvement) per fit (long: about an hour on 2 cores). The report is
# rewritten after every cell, so an interrupted run keeps what it finished.
experiments: build
	$(BIN)/cnids-train experiments --dataset nsl-kdd --train $(KDD) --archs cnn \
		--methods none,ros,rus,smote,borderline-smote1,adasyn,smote-enn,smote-tomek,class-weight,gan \
		--folds 3 --repeats 1 --epochs 10 --patience 3 --seed $(SEED) --out $(OUT)/experiments-nsl-kdd

# A second lab set made with other addresses, ports, rates, counts and
# phase order (root, network namespaces; about 5 minutes), for judging
# models on captures they were not trained on.
LAB2 ?= $(OUT)/lab2
lab2:
	NET=10.77.0 ATK_HOST=7 VIC_HOST=9 SWEEP_HOSTS="20 21 22" DDOS_SRC_HOSTS="31 32 33 34 35 36" TAG=lb2 SEED=2 \
	NORMAL_HTTP=30 NORMAL_DNS=15 PING_COUNT=8 SCAN_PORTS=1-2000 SYN_PORT=8080 SYN_COUNT=12000 SYN_INTERVAL_US=80 \
	UDP_PORT=7777 UDP_COUNT=10000 ICMP_COUNT=6000 ICMP_INTERVAL_US=150 HTTP_FLOOD_REQ=1500 HTTP_FLOOD_CONC=10 \
	DDOS_COUNT=3000 DDOS_PORT=443 BRUTE_TRIES=20 TELNET_TRIES=9 SSH_TRIES=8 HYDRA_TASKS=3 EXFIL_KB=1024 EXFIL_PORT=5555 \
	PHASES="probe-ping-sweep normal dos-synflood probe-nmap-syn r2l-telnet-bruteforce dos-icmpflood probe-nmap-service r2l-ftp-bruteforce probe-nmap-udp ddos-synflood dos-udpflood r2l-http-bruteforce probe-nmap-os dos-httpflood r2l-ssh-bruteforce theft-exfiltration" \
	INSTALL=1 bash $(SHARED)/tools/make-lab-pcaps.sh $(LAB2)

# Site adaptation: the cnn trained on KDDTrain+ plus the labelled rows of
# the shared lab set, then both it and the default model judged on every
# phase of the second lab set.
site-model: build
	@mkdir -p $(OUT)
	$(BIN)/cnids extract --per-file --format kdd --labels $(SHARED)/pcaps/lab/labels.csv $(SHARED)/pcaps/lab/*.pcap > $(OUT)/lab-rows.txt
	$(BIN)/cnids-train fit --dataset nsl-kdd --train $(KDD) --train $(OUT)/lab-rows.txt --arch cnn --seed $(SEED) \
		--out $(OUT)/site-cnn.model --report $(OUT)/site-model
	$(BIN)/cnids-bench detect --model $(OUT)/site-cnn.model --lab $(LAB2) --public ""
	$(BIN)/cnids-bench detect --model cmd/cnids/models/nsl-kdd-cnn.model --lab $(LAB2) --public ""

# SMOTE and ADASYN speed beside imbalanced-learn on the encoded KDDTrain+.
bench-balance: build
	$(BENCHENV) $(BIN)/cnids-bench balance --train $(KDD)

# Equivalence of balance/ with imbalanced-learn on the encoded KDDTrain+
# (needs python3-imblearn; prints every mismatch and its explanation).
compare-imblearn:
	CNIDS_IMBLEARN_COMPARE=1 $(BENCHENV) $(GO) test -run TestImblearnCompare -v -timeout 2h ./balance

FUZZTIME ?= 30s
fuzz:
	@for pkg in $$($(GO) list ./...); do \
		for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
			echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 5s $$pkg || exit 1; \
		done; \
	done

clean:
	rm -rf $(BIN) $(OUT)
