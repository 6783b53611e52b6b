#!/bin/sh
# A local redirect (RFC 3875 6.2.2): the server serves /small.html instead.
printf 'Location: /small.html\n\n'
