package io.sriovlm.testing;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.sriovlm.testing.Kubectl;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

/** Renders and parses the project's manifests (kustomize, Helm output) for the deployment tests. */
public final class Manifests {
    public static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    private Manifests() {
    }

    /** {@code kubectl kustomize DIR}, failing the test with kubectl's error when it does not render. */
    public static String kustomize(String dir) throws IOException, InterruptedException {
        Path out = Files.createTempFile("kustomize", ".yaml");
        Path err = Files.createTempFile("kustomize", ".err");
        try {
            Process p = new ProcessBuilder(Kubectl.BINARY.toString(), "kustomize", dir).redirectOutput(out.toFile())
                    .redirectError(err.toFile()).start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail("kubectl kustomize " + dir + " did not finish in 60 s");
            }
            assertThat(p.exitValue()).as("kubectl kustomize %s: %s", dir, Files.readString(err)).isZero();
            return Files.readString(out, StandardCharsets.UTF_8);
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /**
     * Multi-document YAML, one document at a time: built-in kinds come back typed, ours as
     * GenericKubernetesResource. Documents holding only comments (Helm renders some) are skipped.
     */
    public static List<HasMetadata> parse(String yaml) {
        List<HasMetadata> objects = new ArrayList<>();
        for (String doc : yaml.split("(?m)^---\\s*$")) {
            boolean empty = doc.lines().allMatch(l -> l.isBlank() || l.trim().startsWith("#"));
            if (!empty) {
                objects.add(SERIALIZATION.unmarshal(doc));
            }
        }
        return objects;
    }

    /** RBAC rules as data: "group/resource" (core group: just "resource") -> verbs. */
    public static java.util.Map<String, java.util.Set<String>> grants(
            List<io.fabric8.kubernetes.api.model.rbac.PolicyRule> rules) {
        java.util.Map<String, java.util.Set<String>> grants = new java.util.TreeMap<>();
        for (var rule : rules) {
            for (String group : rule.getApiGroups()) {
                for (String resource : rule.getResources()) {
                    grants.computeIfAbsent(group.isEmpty() ? resource : group + "/" + resource,
                            k -> new java.util.TreeSet<>()).addAll(rule.getVerbs());
                }
            }
        }
        return grants;
    }
}
