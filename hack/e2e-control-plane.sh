#!/usr/bin/env bash
# The real-control-plane tier: builds (or finds cached) kube-apiserver, kube-controller-manager and etcd
# (hack/build-control-plane.sh), then runs the *ControlPlaneIT tests through Maven. Each test class starts its own
# control plane on loopback, installs the product from config/ with kubectl, and runs the operator and the agents
# with ServiceAccount tokens (docs/real-control-plane.md). Needs no root. Extra arguments go to Maven
# (e.g. -Dtest=MigrationControlPlaneIT to run one class; RbacControlPlaneIT then fails: it needs the others' audit logs).
# Stops whatever control plane processes an interrupted run left behind, before and after.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(hack/build-control-plane.sh)
# Every process the tier starts (control planes, operator replicas) names its temporary folder (/tmp/sriovlm-cp-*)
# on its command line.
stop_leftovers() { pkill -f -- "/sriovlm-cp-" 2>/dev/null || true; }
stop_leftovers
trap 'rc=$?; stop_leftovers; exit $rc' EXIT
trap 'exit 130' INT TERM
# The leader-election test runs operator replicas from the product's jar: build it when the sources are newer.
jar=src/product/target/quarkus-app/quarkus-run.jar
if [[ ! -f "$jar" || -n "$(find src pom.xml crds -name target -prune -o -newer "$jar" -print -quit)" ]]; then
    echo "e2e-control-plane: building sriovlm (mvn package -DskipTests)" >&2
    mvn -B -q package -DskipTests >&2
fi
rm -rf target/control-plane-it
mkdir -p target/control-plane-it
set +e
mvn -B -o -pl src/sandbox -am -Dtest='**/*ControlPlaneIT' -Dsurefire.failIfNoSpecifiedTests=false \
    -Dsriovlm.controlplane.bin="$bin" test "$@" > target/control-plane-it/e2e.log 2>&1
rc=$?
set -e
grep -E 'Tests run:|FAIL|BUILD' target/control-plane-it/e2e.log || true
if [ "$rc" -ne 0 ]; then
    echo "e2e-control-plane: FAILED (maven exit $rc; log: target/control-plane-it/e2e.log, control plane logs:" \
        "target/control-plane-it/logs/)" >&2
    exit 1
fi
echo "e2e-control-plane: passed"
