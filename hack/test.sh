#!/usr/bin/env bash
# The test command (README): installs what the tests need on a fresh Debian 12 machine, then runs every default
# test tier (unit, sandbox) and the CRD drift check. The real-hypervisor tier has its own script.
set -euo pipefail
cd "$(dirname "$0")/.."
hack/install-test-deps.sh
exec mvn -B verify "$@"
