#!/usr/bin/env bash
# The chaos run (docs/chaos.md): N migrations, single ones and node evacuations, under random faults drawn from a
# seed, checked against the invariants after every wave. Prints the seed first; give it back to replay the plan.
#   hack/chaos.sh                 1000 migrations, a fresh seed, on the embedded API server
#   hack/chaos.sh 1000 --seed 42  replay seed 42
#   hack/chaos.sh 200 --seed 42 --copy-ms 300
#   hack/chaos.sh 1000 --seed 1 --real-control-plane
#                                 on a real kube-apiserver + etcd + kube-controller-manager (built first if needed),
#                                 the API faults injected by a proxy in front of it
# Exits 1 when any invariant was violated. Not part of the test command; ChaosSandboxTest runs a short version.
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-1000}"
shift || true
args=()
real=no
for a in "$@"; do
  case "$a" in
    --real-control-plane) real=yes ;;
    *) args+=("$a") ;;
  esac
done
. hack/lib/sandbox-jar.sh
control_plane_args "$real"
sandbox_jar WARN --chaos "$N" --workdir target/chaos "${args[@]}"
