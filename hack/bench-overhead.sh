#!/usr/bin/env bash
# The orchestration-overhead benchmark (our budget: p50 under 200 ms, docs/architecture.md "Invariants and budgets"), see docs/benchmarks.md.
# Starts the sandbox with a simulated hypervisor that takes 0 ms (copy, downtime, guest unplug), runs M warm-up
# migrations and then N sequential migrations of vm-01 between hv1 and hv2, and prints p50/p90/p99/max of the
# overhead per migration and the time per phase. The last line of stdout is machine-readable:
#   overhead_ms p50=.. p99=.. n=.. errors=..
# Exits non-zero when a migration did not succeed. A benchmark, not a test: mvn test never runs it.
#   hack/bench-overhead.sh            200 measured migrations after 20 warm-up ones
#   hack/bench-overhead.sh 500 50     500 measured after 50 warm-up
# The operator's and agents' logs (one line per phase change) go to stderr; the report goes to stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-200}"
WARMUP="${2:-20}"
. hack/lib/sandbox-jar.sh
sandbox_jar INFO --bench "$N" --warmup "$WARMUP" --workdir target/bench
