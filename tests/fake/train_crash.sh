#!/bin/sh
# Fake darknet that crashes with a segmentation fault after 3 iterations.
ulimit -c 0
for i in 1 2 3; do
    echo "$i, 0.00$i: 2.300000, 2.300000 avg, 0.100000 rate, 0.069000 seconds, $((i * 128)) images"
done
echo "about to crash"
kill -SEGV $$
