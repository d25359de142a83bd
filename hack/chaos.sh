#!/usr/bin/env bash
# Issue 8's chaos run (docs/chaos.md): N migrations, single ones and node evacuations, under random faults drawn from
# a seed, checked against the invariants after every wave. Prints the seed first; give it back to replay the plan.
#   hack/chaos.sh                 1000 migrations, a fresh seed
#   hack/chaos.sh 1000 --seed 42  replay seed 42
#   hack/chaos.sh 200 --seed 42 --copy-ms 300
# Exits 1 when any invariant was violated. Not part of the test command; ChaosSandboxTest runs a short version.
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-1000}"
shift || true
. hack/lib/sandbox-jar.sh
sandbox_jar WARN --chaos "$N" --workdir target/chaos "$@"
