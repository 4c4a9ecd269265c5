#!/bin/sh
# Fake pjreddie `darknet detector train` whose loss diverges: nan, -nan, then inf.
# usage: train_nan.sh CFG BACKUP
base=$(basename "$1" .cfg)
echo "Loaded: 0.000034 seconds"
echo "1: 812.345642, 812.345642 avg, 0.001000 rate, 0.500000 seconds, 64 images"
echo "Loaded: 0.000031 seconds"
echo "2: nan, nan avg, 0.001000 rate, 0.500000 seconds, 128 images"
echo "Loaded: 0.000030 seconds"
echo "3: -nan, -nan avg, 0.001000 rate, 0.500000 seconds, 192 images"
echo "Saving weights to $2/${base}_final.weights"
echo weights > "$2/${base}_final.weights"
