package io.sriovlm.sandbox.api;

import java.nio.file.Path;
import java.util.List;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;

/** The project's committed CRDs (crds/ at the repository root, the tests' working directory). */
final class SandboxCrds {
    private SandboxCrds() {
    }

    static List<CustomResourceDefinition> load() {
        List<CustomResourceDefinition> crds = CrdLoader.fromDirectory(Path.of("crds"));
        if (crds.size() < 3) {
            throw new IllegalStateException("crds/ holds " + crds.size() + " CRDs, not 3: run hack/update-crds.sh");
        }
        return crds;
    }
}
