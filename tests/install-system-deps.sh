#!/bin/sh
# Installs what the tests need from Debian when it is missing: plink2 (the reference the QC, PCA and GWAS
# are compared with), plink1.9 (its --clump is the reference for LD clumping), chromium + chromedriver (the HTML report is opened in a real headless browser) and
# SLURM + munge (tests/slurm/start.sh starts a single-node SLURM for the cluster tests).
# Needs root and apt-get (Debian/Ubuntu); elsewhere it says so and the tests that need them skip.
set -eu
missing=""
command -v plink2 >/dev/null 2>&1 || missing="$missing plink2"
command -v plink1.9 >/dev/null 2>&1 || missing="$missing plink1.9"
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
command -v chromedriver >/dev/null 2>&1 || missing="$missing chromium-driver"
for pair in slurmctld:slurmctld slurmd:slurmd munged:munge; do  # program:Debian package
    program=${pair%%:*}
    [ -x "/usr/sbin/$program" ] || command -v "$program" >/dev/null 2>&1 || missing="$missing ${pair##*:}"
done
command -v sbatch >/dev/null 2>&1 || missing="$missing slurm-client"
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing:$missing" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
else
    echo "NOTE:$missing missing and not installable here (needs root and apt-get); tests that need it skip" >&2
fi
