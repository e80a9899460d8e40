#!/bin/bash
# Starts a single-node SLURM (munged, slurmctld, slurmd) for the tests, with its configuration, state
# and logs under FOLDER; prints the slurm.conf path (export SLURM_CONF=<path> for sbatch, squeue, ...).
# tests/slurm/stop.sh FOLDER stops only the daemons this script started, by PID.
# Needs root and Debian's slurmctld slurmd slurm-client munge (make test installs them).
set -euo pipefail
folder=$(realpath -m "${1:?usage: start.sh FOLDER}")
mkdir -p "$folder/state" "$folder/spool"
host=$(hostname -s)
getent hosts "$host" >/dev/null || echo "127.0.0.1 $host" >> /etc/hosts

# munge, at its standard socket (a configless slurmd authenticates before it has any configuration);
# started as the munge user unless one already runs.
mkdir -p /run/munge /var/log/munge /var/lib/munge
chown munge: /run/munge /var/log/munge /var/lib/munge
if [ ! -s /etc/munge/munge.key ]; then
    dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null
    chown munge: /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
fi
if ! pgrep -x munged >/dev/null; then
    runuser -u munge -- munged --force
    cp /run/munge/munged.pid "$folder/munged.pid"
fi

# One node: the CPUs slurmd sees, and 90% of its memory (more drains the node).
node=$(slurmd -C | head -1)
memory=$(echo "$node" | sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p')
cpus=$(echo "$node" | sed -n 's/.*CPUs=\([0-9]*\).*/\1/p')
cat > "$folder/slurm.conf" <<CONF
ClusterName=riata-tests
SlurmctldParameters=enable_configless
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=$((memory * 9 / 10 / cpus))
SchedulerType=sched/backfill
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
JobAcctGatherType=jobacct_gather/none
MinJobAge=600
ReturnToService=2
StateSaveLocation=$folder/state
SlurmdSpoolDir=$folder/spool
SlurmctldPidFile=$folder/slurmctld.pid
SlurmdPidFile=$folder/slurmd.pid
SlurmctldLogFile=$folder/slurmctld.log
SlurmdLogFile=$folder/slurmd.log
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$((memory * 9 / 10)) State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF

export SLURM_CONF="$folder/slurm.conf"
slurmctld -f "$SLURM_CONF"
# Configless slurmd: it caches the controller's configuration and points its jobs' SLURM_CONF at it,
# so srun inside a job (as Snakemake's SLURM executor uses) finds it without /etc/slurm.
slurmd --conf-server 127.0.0.1
for _ in $(seq 60); do
    if sinfo -h -o %T 2>/dev/null | grep -qE '^(idle|mixed)'; then
        echo "$SLURM_CONF"
        exit 0
    fi
    sleep 0.5
done
echo "SLURM did not come up; see $folder/*.log" >&2
exit 1
