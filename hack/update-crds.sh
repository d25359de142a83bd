#!/usr/bin/env bash
# Regenerates crds/ from the Java API types (QOSDK's CRD generator runs during the Quarkus build).
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q package -DskipTests
for generated in src/product/target/kubernetes/*.sriovlm.io-v1.yml; do
  cp "$generated" "crds/$(basename "$generated" -v1.yml).yaml"
done
# The Helm chart ships the same files (HelmChartTest checks they are byte-identical).
cp crds/*.sriovlm.io.yaml charts/sriovlm/crds/
# docs/crd-reference.md is generated from crds/ (CrdReferenceTest fails when it is stale).
mvn -B -o -q -pl src/product test -Dtest=CrdReferenceTest -Dsriovlm.update-docs=true
echo "crds/ updated:"; ls crds/*.yaml
