#!/usr/bin/env bash
# Runs the sriovlm sandbox: an embedded Kubernetes API, the operator and two simulated hypervisors (hv1, hv2) with
# their node agents, in one process. Writes target/sandbox/kubeconfig for kubectl.
#   hack/sandbox.sh           run until Ctrl-C
#   hack/sandbox.sh --demo    migrate vm-01 to hv2, print the phase timeline, exit 0 only on success
set -euo pipefail
cd "$(dirname "$0")/.."
JAR=target/quarkus-app/quarkus-run.jar
if [[ ! -f "$JAR" || -n "$(find src pom.xml crds -newer "$JAR" -print -quit)" ]]; then
  echo "building sriovlm (mvn package -DskipTests)..." >&2
  mvn -B -q package -DskipTests >&2
fi
exec java -Dsriovlm.role=sandbox -Dquarkus.banner.enabled=false -Dquarkus.http.port=0 -Dquarkus.log.level=WARN \
  -Dquarkus.log.category.\"io.sriovlm\".level=INFO -jar "$JAR" "$@"
