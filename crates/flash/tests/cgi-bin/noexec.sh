#!/bin/sh
# Not executable (mode 644): the server refuses it with 403.
printf 'Content-Type: text/plain\n\nran\n'
