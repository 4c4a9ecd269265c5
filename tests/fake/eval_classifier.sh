#!/bin/sh
# Fake `darknet classifier valid`: running top-1 / top-5 per image; the last is the total.
i=1
while [ "$i" -lt 100 ]; do
    echo "$i: top 1: 0.500000, top 5: 0.900000"
    i=$((i + 1))
done
echo "100: top 1: 0.823000, top 5: 0.990000"
