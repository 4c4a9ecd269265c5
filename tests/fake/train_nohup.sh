#!/bin/sh
# A fake darknet train that ignores SIGHUP (as nohup'd programs and some wrappers do):
# it outlives a darktune killed with SIGKILL, whose terminal's hangup does not reach
# it. Its child's pid goes into backup/../sleeper.pid. usage: train_nohup.sh DATA CFG
trap '' HUP
backup=$(sed -n 's/^backup *= *//p' "$1" | head -n 1)
echo "1, 0.001: 2.300000, 2.300000 avg, 0.100000 rate, 0.069000 seconds, 128 images"
sleep 600 &
echo $! > "$backup/../sleeper.pid"
wait
