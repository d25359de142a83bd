package io.sriovlm.architecture;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarFile;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs after the Quarkus build (failsafe, {@code mvn verify}): the fast-jar the image copies
 * (src/product/src/main/docker/Dockerfile.jvm) holds the operator and agent roles and nothing of the sandbox — no
 * sandbox, simulator, fault, chaos, benchmark or test-fixture class, and no mock server, mock web server, CEL or
 * protobuf library.
 */
class ProductArtifactIT {
    static final Path APP = Path.of("src", "product", "target", "quarkus-app");
    /** Libraries only the sandbox and the tests need, by the start of their fast-jar file names (groupId.artifactId). */
    static final List<String> NOT_IN_PRODUCT = List.of("io.fabric8.kubernetes-server-mock", "io.fabric8.mockwebserver",
            "dev.cel.", "com.google.protobuf.", "io.sriovlm.sriovlm-sandbox", "com.marcnuri.", "com.tngtech.archunit.",
            "org.junit.", "org.assertj.", "org.awaitility.");

    @Test
    void theFastJarHoldsTheProductOnly() throws IOException {
        assertThat(APP.resolve("quarkus-run.jar")).as("the fast-jar; run mvn package").exists();
        List<String> libraries;
        try (Stream<Path> files = Files.walk(APP.resolve("lib"))) {
            libraries = files.filter(f -> f.toString().endsWith(".jar")).map(f -> f.getFileName().toString()).toList();
        }
        assertThat(libraries).as("the product's libraries").isNotEmpty()
                .anySatisfy(l -> assertThat(l).startsWith("io.javaoperatorsdk.operator-framework-core"))
                .anySatisfy(l -> assertThat(l).startsWith("org.libvirt.libvirt"));
        for (String library : libraries) {
            assertThat(NOT_IN_PRODUCT).as("%s is a sandbox or test library", library)
                    .noneMatch(library::startsWith);
        }

        List<String> classes;
        try (Stream<Path> jars = Files.list(APP.resolve("app"))) {
            Path app = jars.filter(f -> f.toString().endsWith(".jar")).findFirst().orElseThrow();
            try (JarFile jar = new JarFile(app.toFile())) {
                classes = jar.stream().map(e -> e.getName()).filter(n -> n.endsWith(".class")).toList();
            }
        }
        assertThat(classes).as("the product's own classes").contains("io/sriovlm/Main.class",
                "io/sriovlm/roles/OperatorRole.class", "io/sriovlm/roles/AgentRole.class")
                .noneMatch(c -> c.startsWith("io/sriovlm/sandbox/"))
                .noneMatch(c -> c.startsWith("io/sriovlm/testing/"));
    }
}
