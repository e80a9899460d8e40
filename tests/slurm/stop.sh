#!/bin/bash
# Stops the daemons tests/slurm/start.sh started in FOLDER (by their PID files), and nothing else.
folder=$(realpath -m "${1:?usage: stop.sh FOLDER}")
for pidfile in "$folder/slurmd.pid" "$folder/slurmctld.pid" "$folder/munged.pid"; do
    [ -s "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
done
exit 0
