#!/bin/sh
# Fake darknet that prints two lines and then hangs in a child process whose pid
# goes into PIDFILE, so that a test can check the whole process group was killed.
# usage: train_hang.sh PIDFILE
echo "1, 0.001: 2.300000, 2.300000 avg, 0.100000 rate, 0.069000 seconds, 128 images"
echo "2, 0.002: 2.200000, 2.290000 avg, 0.100000 rate, 0.069000 seconds, 256 images"
sleep 60 &
echo $! > "$1"
wait
