#!/bin/sh
# Print the CGI environment, one VAR=value per line, sorted.
printf 'Content-Type: text/plain\n\n'
env | LC_ALL=C sort
