#!/bin/bash
# Stops the daemons tests/slurm/start.sh started in FOLDER (by their PID files), and nothing else.
folder=$(realpath -m "${1:?usage: stop.sh FOLDER}")
for pidfile in "$folder/slurmd.pid" "$folder/slurmctld.pid" "$folder/munge/munged.pid"; do
    [ -s "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null
done
exit 0
