#!/bin/sh
# Echo the request body (CONTENT_LENGTH bytes on stdin) and the query string.
printf 'Content-Type: text/plain\n\n'
printf 'method=%s query=%s length=%s type=%s\n' "$REQUEST_METHOD" "$QUERY_STRING" "${CONTENT_LENGTH:-0}" "${CONTENT_TYPE:-}"
if [ -n "$CONTENT_LENGTH" ] && [ "$CONTENT_LENGTH" -gt 0 ]; then
    head -c "$CONTENT_LENGTH"
fi
