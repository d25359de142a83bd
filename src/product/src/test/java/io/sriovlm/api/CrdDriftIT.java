package io.sriovlm.api;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs after the Quarkus build (failsafe, {@code mvn verify}): the CRDs under crds/ are generated from the Java API
 * types (QOSDK writes them to src/product/target/kubernetes as it builds the application). Fails when the committed
 * copies drift; run hack/update-crds.sh to refresh.
 */
class CrdDriftIT {
    private static final Path GENERATED = Path.of("src", "product", "target", "kubernetes");
    private static final Path COMMITTED = Path.of("crds");

    @Test
    void committedCrdsMatchTheGeneratedOnes() throws IOException {
        List<Path> generated;
        try (Stream<Path> files = Files.list(GENERATED)) {
            generated = files.filter(p -> p.getFileName().toString().endsWith(".sriovlm.io-v1.yml")).sorted().toList();
        }
        assertThat(generated).as("CRDs generated in %s", GENERATED).hasSize(5);
        for (Path file : generated) {
            String name = file.getFileName().toString().replace("-v1.yml", ".yaml");
            Path committed = COMMITTED.resolve(name);
            assertThat(committed).as("%s is committed; run hack/update-crds.sh", committed).exists();
            assertThat(Files.readString(committed))
                    .as("%s differs from the CRD generated from the Java types; run hack/update-crds.sh", committed)
                    .isEqualTo(Files.readString(file));
        }
    }
}
