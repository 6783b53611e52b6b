#!/bin/sh
# Writes about 2 MiB: over a small output limit.
printf 'Content-Type: application/octet-stream\n\n'
head -c 2097152 /dev/zero
