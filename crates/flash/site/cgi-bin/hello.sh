#!/bin/sh
# A CGI script (RFC 3875): headers, an empty line, the body. Greets ?name=..., and shows
# a few of the meta-variables the server sets.
name=$(printf '%s' "$QUERY_STRING" | sed -n 's/^\(.*&\)\{0,1\}name=\([^&]*\).*$/\2/p')
[ -n "$name" ] || name=world
printf 'Content-Type: text/plain; charset=utf-8\r\n'
printf 'X-Script: hello.sh\r\n'
printf '\r\n'
printf 'Hello, %s!\n' "$name"
printf 'method=%s query=%s script=%s\n' "$REQUEST_METHOD" "$QUERY_STRING" "$SCRIPT_NAME"
