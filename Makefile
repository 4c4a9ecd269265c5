# darktune: a hyperparameter tuner for Darknet.
#   make          build ./darktune
#   make demo     install what is missing, prepare Fashion-MNIST, run a real sweep
#   make test     every test (unit, golden, end to end with the Debian darknet)
CC      ?= cc
CFLAGS  ?= -O2 -g
# darktune's own flags stay when CFLAGS is given on the command line (make CFLAGS=-O0).
# WERROR=-Werror (make test sets it) makes every warning in darktune's own code an error.
# SAN: sanitizer flags for the instrumented builds (make sanitize-check, fuzz-check).
DT_CFLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wshadow -Wno-unused-parameter $(WERROR) $(SAN)
# Where objects, the library and the tests go: build/ for the default compiler;
# make clang-check builds the same code with clang into build/clang/.
B ?= build
DARKTUNE := $(if $(filter build,$(B)),darktune,$(B)/darktune)
# Layers point one way: darknet/base (util, rng, errors) under darknet/ (Darknet)
# under plugin/ (the tuner). darknet/'s files compile without plugin/ on the
# include path, so a tuner header included there does not build (tests/t_layers.sh
# also names the offending line).
LOWER_INC := -Idarknet/base -Idarknet
UPPER_INC := -Iplugin $(LOWER_INC) -I$(shell pg_config --includedir 2>/dev/null || echo /usr/include/postgresql)
# One compile line: darktune's flags, the layer's includes, the user's CFLAGS, then a
# file's own EXTRA (after CFLAGS, so that its -O3 wins).
LOWER_CC = $(CC) $(DT_CFLAGS) $(LOWER_INC) $(CFLAGS) $(EXTRA)
UPPER_CC = $(CC) $(DT_CFLAGS) $(UPPER_INC) $(CFLAGS) $(EXTRA)
BASE_LDLIBS := -linih -lsqlite3 -lpq -lutil -lz -lm -lpthread
LDLIBS  := $(BASE_LDLIBS)
# runner = libdarknet: the Debian libdarknet (CPU build: no -DGPU, no -DCUDNN, which
# would change darknet.h's structs). Only darknet/dt_train.c and tests/test_lrate.c
# include darknet.h.
DARKNET_INC := /usr/lib/darknet/include
DARKNET_LIB := /usr/lib/darknet
LDLIBS  += -L$(DARKNET_LIB) -ldarknet -Wl,-rpath,$(DARKNET_LIB)

# Debian packages the build, the demo and the tests need.
DEB_PKGS := build-essential darknet libinih-dev libstb-dev libsqlite3-dev zlib1g-dev dataset-fashion-mnist sqlite3 \
            libpq-dev postgresql slurm-wlm munge clang chromium tmux

LIB_SRC := $(sort $(wildcard plugin/dt_*.c darknet/dt_*.c darknet/base/dt_*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(B)/%.o)
CMD_SRC := plugin/main.c $(sort $(wildcard plugin/cmd_*.c))
CMD_OBJ := $(CMD_SRC:%.c=$(B)/%.o)
TEST_SRC := $(sort $(wildcard tests/test_*.c))
TEST_BIN := $(TEST_SRC:tests/%.c=$(B)/tests/%)
HDR := $(wildcard plugin/*.h darknet/*.h darknet/base/*.h tests/*.h)

.PHONY: all deps data data-shapes demo test unit clean
all: $(DARKTUNE) build/mkfashion build/mkshapes

$(B)/darknet/%.o: darknet/%.c $(HDR)
	@mkdir -p $(dir $@)
	$(LOWER_CC) -c $< -o $@

$(B)/plugin/%.o: plugin/%.c $(HDR)
	@mkdir -p $(dir $@)
	$(UPPER_CC) -c $< -o $@

$(B)/darknet/dt_train.o $(B)/tests/test_lrate: EXTRA := -I$(DARKNET_INC)
# TPE's density loops (candidates x kernels x dimensions) vectorize at -O3: about 15%
# fewer instructions per suggestion than -O2. -fno-trapping-math lets gcc turn the
# clamp in its exp loop into a select (so the loop vectorizes); it gives up only the
# exact raising of floating-point exception flags, which darktune never reads.
$(B)/plugin/dt_sampler_tpe.o: EXTRA := -O3 -fno-trapping-math

$(B)/libdarktune.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(DARKTUNE): $(CMD_OBJ) $(B)/libdarktune.a
	$(UPPER_CC) -o $@ $(CMD_OBJ) $(B)/libdarktune.a $(LDLIBS)

build/mkfashion: darknet/mkfashion.c build/libdarktune.a
	$(LOWER_CC) -o $@ $< build/libdarktune.a $(LDLIBS)

build/mkshapes: darknet/mkshapes.c build/libdarktune.a
	$(LOWER_CC) -o $@ $< build/libdarktune.a $(LDLIBS)

# What a screenshot shows (tests/t_report.sh): stb_image alone, none of darktune.
build/tests/pngstat: tests/pngstat.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -w -o $@ $< -lm

$(B)/tests/%: tests/%.c $(B)/libdarktune.a tests/dt_test.h
	@mkdir -p $(dir $@)
	$(UPPER_CC) -Itests -o $@ $< $(B)/libdarktune.a $(LDLIBS)

# Installs what is missing, as root, and only then: running it twice does nothing.
deps:
	@missing=""; for p in $(DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" != 0 ]; then echo "darktune: run as root to install:$$missing" >&2; exit 1; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	else echo "✓ Debian packages present"; fi

# Fashion-MNIST as Darknet classifier data (PNG files, lists, labels), made once.
data: build/mkfashion
	@./build/mkfashion /usr/share/datasets/fashion-mnist data/fashion

# Coloured shapes on textured backgrounds as Darknet detector data (64x64 PNGs, YOLO
# labels, lists), drawn once: 4,000 train + 500 valid images, seed 1, ~10 s.
data-shapes: build/mkshapes
	@./build/mkshapes data/shapes

# With a GPU (nvidia-smi lists one) the demo builds the CUDA libdarknet and trains on it;
# on a CPU it builds Darknet for this processor (make native), or, should that fail,
# trains with the Debian libdarknet.
demo: deps
	@$(MAKE) --no-print-directory all data
	@if nvidia-smi -L 2>/dev/null | grep -q '^GPU'; then \
	  $(MAKE) --no-print-directory gpu || exit 1; bin=./darktune-cuda; \
	elif $(MAKE) --no-print-directory native; then bin=./darktune-native; \
	else echo "demo: make native failed (above): training with the Debian libdarknet instead" >&2; bin=./darktune; fi; \
	echo $$bin run sweeps/fashion-tpe-median.ini && $$bin run sweeps/fashion-tpe-median.ini

unit: $(TEST_BIN)
	@tests/run.sh --unit

test: deps
	@$(MAKE) --no-print-directory -j$$(nproc) all data data-shapes $(TEST_BIN) build/tests/pngstat build/bench/prune_replay clang-check \
	  sanitize-check fuzz-check WERROR=-Werror
	@tests/run.sh

# The unit tests under AddressSanitizer and UndefinedBehaviorSanitizer (clang;
# tests/t_sanitize.sh runs them: any finding fails), and libFuzzer harnesses for the
# sweep parser, the space expressions, the cfg reader/writer, the log-line parser and
# the Optuna journal reader (tests/fuzz/; tests/t_fuzz.sh runs each for FUZZ_SECONDS
# and every saved crash).
ASAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ := cfg logparse space sweep journal
.PHONY: sanitize-check fuzz-check
sanitize-check:
	@$(MAKE) --no-print-directory B=build/asan CC=clang SAN="$(ASAN)" CFLAGS="-O1 -g" \
	    $(TEST_SRC:tests/%.c=build/asan/tests/%)
fuzz-check:
	@$(MAKE) --no-print-directory B=build/fuzz CC=clang SAN="-fsanitize=fuzzer-no-link $(ASAN)" CFLAGS="-O1 -g" \
	    build/fuzz/libdarktune.a
	@for f in $(FUZZ); do [ build/fuzz/fuzz_$$f -nt tests/fuzz/fuzz_$$f.c ] && [ build/fuzz/fuzz_$$f -nt build/fuzz/libdarktune.a ] || \
	  { echo "clang ... -o build/fuzz/fuzz_$$f"; clang $(DT_CFLAGS) $(UPPER_INC) -O1 -g -fsanitize=fuzzer $(ASAN) \
	      -o build/fuzz/fuzz_$$f tests/fuzz/fuzz_$$f.c build/fuzz/libdarktune.a $(LDLIBS) || exit 1; }; done

# darktune and its unit tests built by clang, warnings as errors (tests/t_clang.sh
# runs them): code that only one compiler gets right does not pass.
.PHONY: clang-check
clang-check:
	@$(MAKE) --no-print-directory B=build/clang CC=clang WERROR=-Werror build/clang/darktune \
	    $(TEST_SRC:tests/%.c=build/clang/tests/%)

# Benchmarks (minutes each; never part of `make test`). Each prints ratios measured
# side by side in one run.
.PHONY: bench bench-inprocess bench-prune bench-sampler bench-e2e bench-storage bench-pareto
bench: bench-inprocess bench-prune bench-sampler bench-e2e bench-storage bench-pareto

# The store's cost per trial beside Optuna's RDB storage (SQLite and PostgreSQL), and
# trials per second with 1, 2, 4 and 8 workers on one study (~3 minutes).
bench-storage: all build/bench/store_bench
	bench/storage.sh

build/bench/store_bench: bench/store_bench.c build/libdarktune.a
	@mkdir -p $(dir $@)
	$(UPPER_CC) -o $@ $< build/libdarktune.a $(LDLIBS)

# In-process vs `darknet classifier train`, and the native build beside both: ms per
# iteration, trials per hour.
bench-inprocess: all data native
	bench/inprocess.sh

# The same 30 configurations without pruning and with each pruner; then the demo's
# space over 10 seeds and the shapes detector over 2, each pruner replayed over curves
# trained to the end.
bench-prune: all data build/bench/prune_replay
	bench/prune.sh

build/bench/prune_replay: bench/prune_replay.c build/libdarktune.a
	@mkdir -p $(dir $@)
	$(UPPER_CC) -o $@ $< build/libdarktune.a $(LDLIBS)

# darktune's TPE and random samplers beside Optuna's: speed and regret.
bench-sampler: build/bench/sampler_bench
	bench/sampler.sh

# darktune (TPE + its pruner, in-process, darktune-native unless DARKTUNE=./darktune)
# against the latest Optuna (TPE + MedianPruner) driving the Debian `darknet classifier
# train`: best top-1 and the time to reach it, 5 seeds, then the chosen cfgs on held-out
# images (~30 min).
bench-e2e: all data native
	bench/e2e.sh

# MOTPE beside Optuna's TPESampler with several objectives: hypervolume on ZDT1-3 and
# DTLZ2 over 20 seeds, and ms per suggestion after 500 trials (~10 minutes).
bench-pareto: build/bench/pareto_bench
	bench/pareto.sh

build/bench/pareto_bench: bench/pareto_bench.c bench/problems.h build/libdarktune.a
	@mkdir -p $(dir $@)
	$(UPPER_CC) -o $@ $< build/libdarktune.a $(LDLIBS)

build/bench/sampler_bench: bench/sampler_bench.c bench/problems.h build/libdarktune.a
	@mkdir -p $(dir $@)
	$(UPPER_CC) -o $@ $< build/libdarktune.a $(LDLIBS)

# Records bench/fashion.table (replayed by runner = table, read by bench-sampler's
# darknet-table problem): 96 real trainings, ~10 minutes of both cores; not in `bench`.
.PHONY: bench-record
bench-record: all data
	bench/record.sh

clean:
	rm -rf build darktune darktune-cuda darktune-native

# CUDA build of Debian's darknet source with our patches (darknet/patches/): into
# build/darknet-gpu/ with cuDNN, build/darknet-gpu-nocudnn/ with CUDNN=0. Needs nvcc.
# gpu-check is the device check (tests/gpu/check.sh), for a machine with a GPU.
# gpu also links darktune-cuda: the in-process runner over that build (its
# darknet/dt_train.c compiled with the build's macros, linked before libdarktune.a so
# that it replaces the CPU one); `darktune-cuda --version` names the build.
.PHONY: gpu gpu-lib gpu-check gpu-kit
# darktune-cuda is relinked whenever it last linked the other build (build/cuda/gpu_dir).
gpu: gpu-lib
	@d=$(if $(filter 0,$(CUDNN)),build/darknet-gpu-nocudnn,build/darknet-gpu); mkdir -p build/cuda; \
	[ "$$(cat build/cuda/gpu_dir 2>/dev/null)" = "$$d" ] || rm -f darktune-cuda; \
	$(MAKE) --no-print-directory darktune-cuda GPU_DIR=$$d && echo "$$d" > build/cuda/gpu_dir

gpu-lib:
	@KIND=cuda CUDNN="$(or $(CUDNN),1)" bash darknet/build.sh

GPU_DIR ?= build/darknet-gpu
# $(call relinked,PROGRAM,DIR,OBJDIR): darktune with darknet/dt_train.c compiled against
# the libdarknet build in DIR (its flags.mk's macros) and linked before libdarktune.a,
# so that it replaces the Debian one.
define relinked
$(1): $$(CMD_OBJ) build/libdarktune.a darknet/dt_train.c $$(HDR) $(2)/flags.mk
	@mkdir -p $(3)
	$$(LOWER_CC) $$(shell sed -n 's/^DARKNET_CFLAGS := //p' $(2)/flags.mk) -c darknet/dt_train.c -o $(3)/dt_train.o
	$$(UPPER_CC) -o $$@ $$(CMD_OBJ) $(3)/dt_train.o build/libdarktune.a $$(BASE_LDLIBS) \
	    $$(shell sed -n 's/^DARKNET_LDLIBS := //p' $(2)/flags.mk)
endef
$(eval $(call relinked,darktune-cuda,$(GPU_DIR),build/cuda))
$(eval $(call relinked,darktune-native,build/darknet-native,build/native))

# Debian's darknet source built for this machine's CPU (-march=native: AVX2 and FMA
# where it has them, which the Debian package, built for every x86-64, leaves idle;
# and nine CPU kernels of our own, darknet/native/dt_kernels.c) into
# build/darknet-native/, and darktune-native, the in-process runner linked against it.
# `darktune-native --version` names the build.
.PHONY: native native-lib
native: native-lib
	@$(MAKE) --no-print-directory darktune-native

native-lib:
	@KIND=native bash darknet/build.sh

gpu-check:
	@bash tests/gpu/check.sh

# The device kit (tests/gpu/kit.sh): both CUDA builds, darktune-cuda, its libraries and
# the Fashion-MNIST files, for a GPU machine without Debian's packages or a network.
gpu-kit: all
	@$(MAKE) --no-print-directory gpu CUDNN=0 && $(MAKE) --no-print-directory gpu
	@bash tests/gpu/kit.sh
