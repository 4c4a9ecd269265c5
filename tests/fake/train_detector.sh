#!/bin/sh
# Fake AlexeyAB `darknet detector train -map`: title line (ESC[H ESC[J, ends in BEL),
# iteration lines, and an mAP evaluation (printed twice, as AlexeyAB does) every 2
# iterations; saves _last and _final weights; exits 0.
# usage: train_detector.sh CFG BACKUP
base=$(basename "$1" .cfg)
for i in 1 2 3 4; do
    printf '\033[H\033[J%d/4: loss=2.3 map=0.00 best=0.00 hours left=0.1\007' "$i"
    printf '\n %d: 2.%d00000, 2.%d50000 avg loss, 0.001000 rate, 0.250000 seconds, %d images, 0.010000 hours left\n' \
        "$i" $((9 - i)) $((9 - i)) $((i * 64))
    if [ $((i % 2)) -eq 0 ]; then
        printf '\n mean_average_precision (mAP@0.50) = 0.%d00000 \n' $((i * 2))
        printf '\n Last accuracy mAP@0.50 = %d0.00 %%, best = %d0.00 %% \n' $((i * 2)) $((i * 2))
    fi
done
echo x > "$2/${base}_last.weights"
echo x > "$2/${base}_final.weights"
