#!/usr/bin/env bash
# Measures the standby link policies on the real-hypervisor tier (a measurement, not a test: CI never runs it).
# Operator migrations of the teamed guest back and forth under a 5,000 packets/s UDP probe, alternating AlwaysUp and
# UpDuringMigration; prints each round and the medians as "REALHV policy ..." lines (docs/real-hypervisors.md,
# "Standby link policies"). Usage: probe-link-policies.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
exec hack/e2e-hypervisors.sh -Dtest='RealMigrationHypervisorIT#standbyLinkPolicies' -Drealhv.linkPolicyRuns="${1:-5}"
