#!/usr/bin/env bash
# The test command (README, and what .ci/run runs): installs what the tests need on a fresh Debian 12 machine, runs
# every default tier (unit, sandbox) and the CRD and docs drift checks with `mvn verify`, then the real-hypervisor
# tier (hack/e2e-hypervisors.sh: two libvirtd hosts in network namespaces, a TCG guest, real migrations).
# The real tier needs root and network namespaces; without them this command FAILS (exit 2, saying which is missing)
# rather than passing without it. To run only the default tiers as a normal user: mvn -B verify.
# Arguments go to the first Maven run. About 11 minutes on 2 cores (mvn verify ~6, real tier ~5-6; measured 10 min 28 s
# to 11 min 24 s); ~18 when the real tier runs twice after a TCG guest kernel stall (hack/e2e-hypervisors.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
hack/e2e-hypervisors.sh --preflight
hack/install-test-deps.sh
mvn -B verify "$@"
exec hack/e2e-hypervisors.sh
