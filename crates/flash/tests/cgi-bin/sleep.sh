#!/bin/sh
# Never answers in time: the server kills it and answers 504.
sleep 30
printf 'Content-Type: text/plain\n\ntoo late\n'
