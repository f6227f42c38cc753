#! /bin/sh
# Generates ./configure and Makefile.in for dpfip.
set -e
autoreconf --install --force
