#!/bin/sh
# A client redirect: an absolute URL without a Status becomes 302.
printf 'Location: http://example.com/elsewhere\n\n'
