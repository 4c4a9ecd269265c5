# A single-node Slurm on localhost for the tests (Debian's slurm-wlm and munge):
# munged, slurmctld and slurmd with a slurm.conf written into DIR, state and logs in
# DIR. Source it, then:
#   slurm_start DIR   starts the three daemons (as root) and waits for the node;
#                     exports SLURM_CONF so that sbatch, squeue, sacct find it
#   slurm_stop DIR    stops them
slurm_start() {
  local dir; dir=$(readlink -f "$1")
  command -v slurmctld > /dev/null || { echo "slurm.sh: no slurmctld (apt-get install slurm-wlm)" >&2; return 1; }
  [ "$(id -u)" = 0 ] || { echo "slurm.sh: slurmd runs as root" >&2; return 1; }
  mkdir -p "$dir/state" "$dir/spool" "$dir/munge"
  chown munge: "$dir/munge" 2>/dev/null
  [ -f /etc/munge/munge.key ] || { dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null &&
    chown munge: /etc/munge/munge.key && chmod 400 /etc/munge/munge.key; }
  # Its own munge socket, so that a system munged (or none) does not matter.
  runuser -u munge -- /usr/sbin/munged --socket="$dir/munge/munge.socket" --pid-file="$dir/munge/munged.pid" \
    --log-file="$dir/munge/munged.log" --seed-file="$dir/munge/munged.seed" --force || return 1
  local cpus; cpus=$(nproc)
  cat > "$dir/slurm.conf" <<CONF
ClusterName=darktune-test
SlurmctldHost=localhost
SlurmctldPort=$((6900 + RANDOM % 100))
SlurmdPort=$((7000 + RANDOM % 100))
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/builtin
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
NodeName=localhost CPUs=$cpus State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:8
CONF
  export SLURM_CONF=$dir/slurm.conf
  /usr/sbin/slurmctld -f "$SLURM_CONF" -i || return 1
  /usr/sbin/slurmd -f "$SLURM_CONF" || return 1
  local i
  for i in $(seq 100); do
    sinfo -h -o %t 2>/dev/null | grep -Eq '^(idle|mix|alloc)' && return 0
    sleep 0.2
  done
  echo "slurm.sh: the node did not come up" >&2; tail "$dir/slurmctld.log" "$dir/slurmd.log" >&2; return 1
}
slurm_stop() {
  local dir f; dir=$(readlink -f "$1")
  for f in slurmd slurmctld munge/munged; do
    [ -f "$dir/$f.pid" ] && kill "$(cat "$dir/$f.pid")" 2>/dev/null
  done
  return 0
}
