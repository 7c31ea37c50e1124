#!/bin/sh
# Bring the database schema up to date, then become the role: serve | web | worker (extra arguments follow it).
# Several containers may start at once: on PostgreSQL the migration holds a lock, so one migrates and the
# others find nothing left to do.
set -eu

role="${1:-serve}"
case "$role" in
    serve|web|worker) if [ "$#" -gt 0 ]; then shift; fi ;;
    *) exec makerlink "$@" ;;  # any other makerlink command: `docker run … makerlink-image makers import /data/makers.csv`
esac

makerlink db upgrade
case "$role" in
    serve|web) exec makerlink "$role" --host "${MAKERLINK_HOST:-0.0.0.0}" --port "${MAKERLINK_PORT:-8000}" "$@" ;;
    worker) exec makerlink worker "$@" ;;
esac
