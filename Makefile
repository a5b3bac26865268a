# unicam: `make run` boots the appliance under QEMU, `make test` proves it.
GO        ?= go
IMAGE     ?= qemu
# The kernel for every bake, replacing the definition's: debian, minimal
# (built from Debian's linux-source, cached), or a bzImage path.
KERNEL    ?=
OUT       ?= images/out
DISK      ?= $(OUT)/data.img
DISK_SIZE ?= 1G
# A unicam.conf to put on a new data disk.
DISK_CONF ?=
HTTP_PORT ?= 8080
# A host tap device for the guest's network card (e.g. on a bridge to the
# cameras' LAN) instead of QEMU's user network and its port forward.
TAP       ?=
# Extra kernel command line for make run, e.g. APPEND="unicam.segment=10s".
APPEND    ?=
# The camera: an MJPEG or snapshot URL the guest can reach, or /dev/video0
# (with IMAGE=test, the kernel's vivid virtual webcam). Default: test pattern.
CAMERA    ?=
ifneq ($(CAMERA),)
APPEND    += unicam.source=$(CAMERA)
endif
# The web password. Unset: the appliance generates one at first start,
# stores it hashed on the data disk and prints it once on the console.
PASSWORD  ?=
ifneq ($(PASSWORD),)
APPEND    += unicam.password=$(PASSWORD)
endif
export GOFLAGS ?= -mod=readonly

.PHONY: all deps image images xen iso disk launcher run test unit e2e vet bench microbench kernel-repro clean dry-run reliability

all: image

deps:
	@bash scripts/install-deps.sh

BAKE = $(GO) run ./toolchain/cmd/bake -out $(OUT) -kernel "$(KERNEL)"

# One flavour (qemu: kernel + initramfs, the QEMU command, the ISO, the
# libvirt domain), all of them, or the Xen PVH one; each folder under
# $(OUT) has a manifest.json with every artifact's sha256.
image: deps
	$(BAKE) -image images/$(IMAGE).yaml

images: deps
	for f in images/*.yaml; do $(BAKE) -image $$f || exit 1; done

xen: deps
	$(BAKE) -image images/xen.yaml

iso: image

$(DISK):
	@mkdir -p $(OUT)
	$(GO) run ./toolchain/cmd/bake -disk $(DISK) -disk-size $(DISK_SIZE) -disk-conf "$(DISK_CONF)"

disk: deps $(DISK)

LAUNCH = $(OUT)/bin/launch -image $(OUT)/$(IMAGE) -disk $(DISK) -http-port $(HTTP_PORT) -tap "$(TAP)" -append "$(APPEND)"

# The launcher is built, not go-run, so Ctrl-C reaches it directly and it
# powers the guest down cleanly.
launcher:
	$(GO) build -o $(OUT)/bin/launch ./toolchain/cmd/launch

run: image disk launcher
	$(LAUNCH)

dry-run: launcher
	$(LAUNCH) -dry-run

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1; }
	$(GO) vet ./...
	shellcheck scripts/*.sh .ci/run

# Bakes every flavour into $(OUT) (the artifacts CI leaves behind), then
# runs the unit and host-integration tests and the end-to-end tests that
# boot those artifacts under QEMU: kernel+initrd, ISO (BIOS and UEFI), the
# Xen kernel through PVH.
test: deps vet images
	UNICAM_IMAGE_DIR=$(abspath $(OUT)) $(GO) test -count=1 -timeout 40m ./...
	scripts/fuzz.sh 2

# The reliability and security suite (issue #8), long version: 200 power
# losses, 1,000 stalled clients, minutes-long camera outages, every fuzz
# target for FUZZ_SECONDS. It regenerates RELIABILITY.md, failures
# included. make test runs the short version of each part.
FUZZ_SECONDS ?= 60
FIGURES       = $(abspath $(OUT))/reliability.jsonl
SUITE         = TestR1PowerLoss|TestR2GracefulPowerOff|TestFullDataDisk|TestR3InjectedDiskErrors|TestR4CameraFaults|TestWatchdogResetsFrozenApp|TestSecurity|TestS2LoginLimits
reliability: deps vet images
	rm -f $(FIGURES)
	UNICAM_SUITE=full UNICAM_FIGURES=$(FIGURES) UNICAM_IMAGE_DIR=$(abspath $(OUT)) \
		$(GO) test -count=1 -timeout 170m -run '^($(SUITE))$$' -v ./images/ > $(OUT)/reliability.log 2>&1; \
		vm=$$?; grep -E '^(=== RUN|--- |    [a-z_]+_test.go:[0-9]+: [RSF][0-9] )' $(OUT)/reliability.log; \
		scripts/fuzz.sh $(FUZZ_SECONDS) $(FIGURES); fuzz=$$?; \
		$(GO) run ./toolchain/cmd/figures -in $(FIGURES) -out RELIABILITY.md -title "Reliability and security" \
			-intro "Written by \`make reliability\` (issue #8) at commit $$(git rev-parse --short HEAD)$$(git diff --quiet HEAD -- . ':!RELIABILITY.md' || echo ' with local changes'): each test boots the real image under QEMU, or runs the real binary, and records its figure. The full log is in $(OUT)/reliability.log."; \
		exit $$((vm | fuzz))

unit: vet
	$(GO) test -count=1 -short ./...

e2e: deps images
	UNICAM_IMAGE_DIR=$(abspath $(OUT)) $(GO) test -count=1 -timeout 30m -v ./images/

# Side by side with what users would run instead (issue #9): ingest vs
# curl and ffmpeg, Debian's motion, live fan-out vs a bare Go broadcast,
# boot vs a trivial init, the memory floor, sizes. Medians of 5 runs;
# prints the table and regenerates BENCHMARKS.md (about 15 minutes here).
BENCH_FIGURES = $(abspath $(OUT))/bench.jsonl
BENCHES       = BenchmarkIngest|BenchmarkRecord30fps|BenchmarkLiveFanout|BenchmarkBootToHTTP|BenchmarkMemoryFloor|BenchmarkSizes
bench: deps images
	rm -f $(BENCH_FIGURES)
	UNICAM_FIGURES=$(BENCH_FIGURES) UNICAM_IMAGE_DIR=$(abspath $(OUT)) \
		$(GO) test -count=1 -timeout 40m -run '^$$' -bench '^($(BENCHES))$$' -benchtime 1x -v ./images/ > $(OUT)/bench.log 2>&1; \
		st=$$?; grep -E '^(Benchmark|--- |    [a-z_]+_test.go:[0-9]+: [A-Z][0-9]s? |FAIL|ok )' $(OUT)/bench.log; \
		$(GO) run ./toolchain/cmd/figures -bench -in $(BENCH_FIGURES) -out BENCHMARKS.md -title "Benchmarks" \
		-intro "Written by \`make bench\` (issue #9) at commit $$(git rev-parse --short HEAD)$$(git diff --quiet HEAD -- . ':!BENCHMARKS.md' || echo ' with local changes'). Every figure is measured side by side with its baseline in the same run, the median of 5 runs unless it says otherwise; a row is met when its goal was. Recorders record into tmpfs, so the host's shared disk is not what is measured. The full log is in $(OUT)/bench.log." \
		&& sed -n '/^| id/,$$p' BENCHMARKS.md; exit $$st

# Builds the minimal kernel twice from scratch and compares the bzImages
# byte for byte (about 12 minutes on 2 cores).
kernel-repro: deps
	UNICAM_KERNEL_REPRO=1 $(GO) test -count=1 -timeout 60m -run TestMinimalKernelReproducible -v ./toolchain/kernel/

# The packages' own micro-benchmarks (capture, rotation, web).
microbench:
	$(GO) test -run '^$$' -bench . -benchmem ./app/... ./toolchain/... ./runtime/...

clean:
	rm -rf $(OUT)
