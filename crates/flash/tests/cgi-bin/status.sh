#!/bin/sh
# A script that chooses its own status and passes a header through.
printf 'Status: 418 I am a teapot\r\n'
printf 'Content-Type: text/plain\r\n'
printf 'X-Brew: tea\r\n'
printf 'Connection: keep-alive\r\n'
printf '\r\n'
printf 'short and stout\n'
