#!/bin/sh
# Fake hank-ai darknet without CUDA: asks on the terminal before training and
# aborts on end-of-file.
printf 'Type "yes" to begin training: '
read answer || { echo "EOF"; exit 134; }
echo "you said $answer"
sleep 60
