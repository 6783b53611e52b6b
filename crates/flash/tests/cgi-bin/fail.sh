#!/bin/sh
# Writes a valid response, then fails: the server answers 502.
printf 'Content-Type: text/plain\n\npartial\n'
exit 3
