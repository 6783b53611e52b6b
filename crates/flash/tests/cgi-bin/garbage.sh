#!/bin/sh
# Output that is not a CGI response: 502.
echo "this is not a header block"
