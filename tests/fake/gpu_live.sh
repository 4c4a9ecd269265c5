# Sourced by tests/fake/gpu_train.sh and tests/fake/nvidia-smi.sh: the stand-in GPU's
# state is a folder per GPU, $FAKE_GPU_DIR/gpuN, holding a file tPID per trial on it.
# live N: how many of those trials still run.
live() {
    n=0
    for f in "$FAKE_GPU_DIR/gpu$1"/t*; do
        [ -e "$f" ] && kill -0 "${f##*/t}" 2>/dev/null && n=$((n + 1))
    done
    echo "$n"
}
