#!/usr/bin/env bash
# The fleet benchmark (docs/benchmarks.md, "Fleet scale"): the operator, run from the product's jar with the chart's
# heap (70 % of 512 MiB), against NODES simulated hypervisors with VFS VFs each (half of them holding a VM) whose agents
# report at the production heartbeat (10 s); MIGRATIONS migrations with automatic targets, created at a steady rate
# with at most 100 in flight (the operator's maxInFlight is set to the same). On the real control plane when
# hack/build-control-plane.sh has built it (pass --embedded for the embedded API server); the first line says which.
# The fleet is light (agents share event loops, threads and the JSON mapper; --full-agents for the sandbox's own
# agents); the "this JVM" lines give its heap after a full GC, threads and RSS, at rest and at the end.
# The last line of stdout is machine-readable:
#   scale nodes=N vfs=M migrations=K heap_mib=H largest_object_kib=L reaction_p50_ms=A reaction_p99_ms=B writes_per_migration=W failed=F
# heap_mib is the operator's heap after a full GC at the peak of the run; reaction is create -> Pending,
# Pending -> Scheduling of migrations no limit held back, and Scheduling -> Preparing, together (a wait for a slot or
# a VF is printed apart). A benchmark, not a test: mvn test never runs it. Exits non-zero when a migration
# did not succeed.
#   hack/bench-scale.sh                        1000 nodes, 64 VFs, 10000 migrations
#   hack/bench-scale.sh 100 64 1000            a smaller fleet
#   hack/bench-scale.sh 100 64 1000 --rate 10 --in-flight 50 --copy-ms 500 --embedded
#   hack/bench-scale.sh 40 64 40 --embedded --full-agents   what the light fleet saves
set -euo pipefail
cd "$(dirname "$0")/.."
NODES="${1:-1000}"
VFS="${2:-64}"
MIGRATIONS="${3:-10000}"
shift 3 2>/dev/null || shift $#
args=()
api=auto
for a in "$@"; do
  case "$a" in
    --embedded) api=no; args+=("$a") ;;
    *) args+=("$a") ;;
  esac
done
. hack/lib/sandbox-jar.sh
control_plane_args "$api"
# The fleet's own pauses, beside the operator's GC log and the control plane's logs the run keeps in target/bench.
mkdir -p target/bench
SANDBOX_JAVA_OPTS+=("-Xlog:gc:file=target/bench/scale-fleet-gc.log")
sandbox_jar WARN --scale-bench "$NODES" "$VFS" "$MIGRATIONS" --workdir target/bench "${args[@]}"
