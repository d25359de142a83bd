package io.sriovlm.sandbox.api;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.utils.Serialization;

/** Reads CRD manifests (YAML or JSON) for {@link EmbeddedApiServer#start}, from files or from the classpath. */
public final class CrdLoader {
    private CrdLoader() {
    }

    /** Every {@code *.yml}, {@code *.yaml} or {@code *.json} file in {@code dir} that holds a CRD, sorted by name. */
    public static List<CustomResourceDefinition> fromDirectory(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            List<CustomResourceDefinition> crds = new ArrayList<>();
            for (Path f : files.filter(f -> f.toString().matches(".*\\.(ya?ml|json)$")).sorted().toList()) {
                String text = Files.readString(f);
                if (text.contains("CustomResourceDefinition")) {
                    crds.add(Serialization.unmarshal(text, CustomResourceDefinition.class));
                }
            }
            return crds;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The named classpath resources, e.g. {@code crds/sriovmigrations.sriovlm.io-v1.yml}. */
    public static List<CustomResourceDefinition> fromClasspath(String... resources) {
        List<CustomResourceDefinition> crds = new ArrayList<>();
        for (String r : resources) {
            try (InputStream in = Thread.currentThread().getContextClassLoader().getResourceAsStream(r)) {
                if (in == null) {
                    throw new IllegalArgumentException("no classpath resource " + r);
                }
                crds.add(Serialization.unmarshal(in, CustomResourceDefinition.class));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return crds;
    }
}
