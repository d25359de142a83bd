package io.sriovlm.sandbox.api;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;

/** The project's CRDs for tests: {@code crds/} at the repo root when present, else QOSDK's generated ones. */
final class SandboxCrds {
    private SandboxCrds() {
    }

    static List<CustomResourceDefinition> load() {
        for (Path dir : List.of(Path.of("crds"), Path.of("target/kubernetes"))) {
            if (Files.isDirectory(dir)) {
                List<CustomResourceDefinition> crds = CrdLoader.fromDirectory(dir);
                if (crds.size() >= 3) {
                    return crds;
                }
            }
        }
        throw new IllegalStateException("no CRDs found: run mvn package once so QOSDK generates them");
    }
}
