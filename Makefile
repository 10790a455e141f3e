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

.PHONY: help setup build test demo default-model detect cv bench bench-train experiments experiments-lstm compare-imblearn bench-balance lab2 site-model botiot-rows botiot-model botiot-detect botiot-experiments botiot-experiments-category botiot-experiments-subcategory screenshots argus fuzz clean

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
	@echo "make screenshots  the web console's screenshots (headless Chromium)"
	@echo "make argus        BoT-IoT flows against Argus on the lab captures"
	@echo "make experiments-lstm  the cnn-lstm with none and ros on the same folds (long)"
	@echo "make compare-imblearn  balance/ against imbalanced-learn (needs python3-imblearn)"
	@echo "make lab2         a second lab capture set with other parameters (root; about 5 minutes)"
	@echo "make site-model   train on KDDTrain+ plus the lab rows, judge on the second lab set"
	@echo "make botiot-rows   BoT-IoT rows of the lab captures (out/botiot-lab.csv) and of the second lab set"
	@echo "make botiot-model  extract BoT-IoT rows from the lab captures and retrain the embedded BoT-IoT model"
	@echo "make botiot-detect per-phase detection with the BoT-IoT model on the lab set and the second lab set"
	@echo "make botiot-experiments  cnn, cnn-lstm x balancing on the BoT-IoT lab rows, tested on the second lab set (long)"
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

# The cnn-lstm on the same folds, without balancing and with ROS (long: 3
# to 8 minutes a fit on 2 cores).
experiments-lstm: build
	$(BIN)/cnids-train experiments --dataset nsl-kdd --train $(KDD) --archs cnn-lstm --methods none,ros \
		--folds 3 --repeats 1 --epochs 10 --patience 3 --seed $(SEED) --out $(OUT)/experiments-nsl-kdd-lstm

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

# BoT-IoT rows of a labelled capture set, one file at a time (flows and
# the 100-flow windows reset between phases, as cnids-bench detect
# replays them). Phases without a BoT-IoT label (password guessing, the
# ICMP flood) are skipped and counted on stderr.
BOTLAB  := $(OUT)/botiot-lab.csv
BOTLAB2 := $(OUT)/botiot-lab2.csv
BOTMODEL := cmd/cnids/models/bot-iot-cnn.model

botiot-rows: build
	@mkdir -p $(OUT)
	$(BIN)/cnids extract --features bot-iot --per-file --labels $(SHARED)/pcaps/lab/labels.csv $(SHARED)/pcaps/lab/*.pcap > $(BOTLAB)
	@if [ -f $(LAB2)/labels.csv ]; then \
		echo "$(BIN)/cnids extract --features bot-iot --per-file --labels $(LAB2)/labels.csv $(LAB2)/*.pcap > $(BOTLAB2)"; \
		$(BIN)/cnids extract --features bot-iot --per-file --labels $(LAB2)/labels.csv $(LAB2)/*.pcap > $(BOTLAB2); \
	else echo "no $(LAB2)/labels.csv (make lab2): no second lab set rows"; fi

# The embedded BoT-IoT model: the cnn trained on the lab rows by category
# (20% held out, stratified, for early stopping and the alert threshold).
# The rows are imbalanced (floods 62k, scans 1.1k, Normal 49, Theft 1):
# random over-sampling of the training part brings every class to the
# largest one's count (a single-row class is copied). With the second lab
# set present, its rows are the test set of the report. cnids is rebuilt
# to embed the new model.
botiot-model: botiot-rows
	@mkdir -p $(OUT)/botiot-model
	$(BIN)/cnids-train fit --dataset bot-iot --train $(BOTLAB) --arch cnn --balance ros --seed $(SEED) \
		$(if $(wildcard $(LAB2)/labels.csv),--test $(BOTLAB2)) \
		--out $(BOTMODEL) --report $(OUT)/botiot-model > $(OUT)/botiot-model/metrics.txt && cat $(OUT)/botiot-model/metrics.txt
	$(GO) build -o $(BIN)/ ./cmd/cnids

# Per-phase detection with the embedded BoT-IoT model on the shared lab
# set (and the public captures) and on the second lab set, at the model's
# threshold (0.5: the lab's 10 validation Normal flows are too few to
# choose one for a false-alarm rate).
botiot-detect: build
	@mkdir -p $(OUT)
	$(BIN)/cnids-bench detect --features bot-iot --model $(BOTMODEL) --lab $(SHARED)/pcaps/lab --public $(SHARED)/pcaps/public > $(OUT)/botiot-detect-lab.md && cat $(OUT)/botiot-detect-lab.md
	$(BIN)/cnids-bench detect --features bot-iot --model $(BOTMODEL) --lab $(LAB2) --public "" > $(OUT)/botiot-detect-lab2.md && cat $(OUT)/botiot-detect-lab2.md

# The BoT-IoT experiment matrix: cnn and cnn-lstm x balancing methods,
# trained on the shared lab set's rows and tested on the second lab set's
# (never a row split of one set), by category and by subcategory. One fit
# per cell (seed $(SEED)), at most BOTEPOCHS epochs with early stopping.
# Each matrix takes about 18 minutes on 2 busy cores; a reduced run:
# make botiot-experiments-subcategory BOTARCHS=cnn.
BOTEPOCHS ?= 10
BOTARCHS ?= cnn,cnn-lstm
BOTMETHODS ?= none,ros,smote,adasyn,class-weight
botiot-experiments: botiot-experiments-category botiot-experiments-subcategory

botiot-experiments-category botiot-experiments-subcategory: botiot-experiments-%: botiot-rows
	@test -f $(BOTLAB2) || { echo "$@ needs the second lab set (make lab2)"; exit 1; }
	@# A cell that cannot run (ADASYN on a class no other class's rows
	@# neighbour) is named in report.md and makes the status 1; the per-class
	@# recall of the others (results.json; report.md lists only the smallest
	@# classes) and each cell's binary operating point go to recall.md.
	nice $(BIN)/cnids-train experiments --dataset bot-iot --labels $* --train $(BOTLAB) --test $(BOTLAB2) \
		--archs $(BOTARCHS) --methods $(BOTMETHODS) --repeats 1 --epochs $(BOTEPOCHS) --patience 3 --seed $(SEED) \
		--out $(OUT)/experiments-bot-iot-$*; status=$$?; \
	if command -v jq >/dev/null && [ -f $(OUT)/experiments-bot-iot-$*/results.json ]; then \
		jq -r '.[] | .runs[0].eval as $$e | [.arch, .balance] + [$$e.metrics.per_class[] | .recall * 10000 | round / 10000 | tostring] + [($$e.operating_point.detection_rate * 10000 | round / 10000 | tostring), "\($$e.operating_point.false_alarms)/\($$e.operating_point.normals)"] | "| " + join(" | ") + " |"' \
			$(OUT)/experiments-bot-iot-$*/results.json > $(OUT)/experiments-bot-iot-$*/recall.md && cat $(OUT)/experiments-bot-iot-$*/recall.md; \
	else echo "no jq or no results: per-class recall is in $(OUT)/experiments-bot-iot-$*/results.json"; fi; \
	exit $$status

# SMOTE and ADASYN speed beside imbalanced-learn on the encoded KDDTrain+.
bench-balance: build
	$(BENCHENV) $(BIN)/cnids-bench balance --train $(KDD)

# Equivalence of balance/ with imbalanced-learn on the encoded KDDTrain+
# (needs python3-imblearn; prints every mismatch and its explanation).
compare-imblearn:
	CNIDS_IMBLEARN_COMPARE=1 $(BENCHENV) $(GO) test -run TestImblearnCompare -v -timeout 2h ./balance

FUZZTIME ?= 30s
# The web console's screenshots in docs/screenshots, taken by its browser
# test in headless Chromium.
screenshots:
	$(GO) test -run '^TestBrowserEndToEnd$$' -count 1 ./web -args -screenshots

# BoT-IoT flows against Argus on the lab captures (Debian's argus-server
# and argus-client): the match rate and every difference (docs/argus.md).
argus:
	$(GO) run ./cmd/cnids-bench argus -lab $(SHARED)/pcaps/lab

fuzz:
	@for pkg in $$($(GO) list ./...); do \
		for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
			echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 5s $$pkg || exit 1; \
		done; \
	done

clean:
	rm -rf $(BIN) $(OUT)
