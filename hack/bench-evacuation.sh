#!/usr/bin/env bash
# The node-evacuation benchmark of issue 6, see docs/benchmarks.md and docs/decisions/007-evacuation.md.
# Starts the sandbox with a node "src" holding N teamed VMs and two empty targets, cordons and labels src, and
# reports total / (ceil(N/P)·T), total running from the cordon to the last migration's Succeeded (goal <= 1.10).
#   hack/bench-evacuation.sh              N=40 VMs, T=5000 ms copy, P=2 outbound
#   hack/bench-evacuation.sh 40 5000 2 10000  the same, agents reporting every 10 s (production's default; the default)
# A benchmark, not a test: mvn test never runs it. Exits non-zero when a migration did not succeed.
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-40}"
T="${2:-5000}"
P="${3:-2}"
H="${4:-10000}"
. hack/lib/sandbox-jar.sh
sandbox_jar WARN --evacuation-bench "$N" --copy-ms "$T" --outbound "$P" --heartbeat-ms "$H" --workdir target/bench
