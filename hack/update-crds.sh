#!/usr/bin/env bash
# Regenerates crds/ from the Java API types (QOSDK's CRD generator runs during the Quarkus build).
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q package -DskipTests
for generated in target/kubernetes/*.sriovlm.io-v1.yml; do
  cp "$generated" "crds/$(basename "$generated" -v1.yml).yaml"
done
echo "crds/ updated:"; ls crds/*.yaml
