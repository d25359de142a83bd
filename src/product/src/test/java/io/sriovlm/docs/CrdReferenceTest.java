package io.sriovlm.docs;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.api.model.apiextensions.v1.ValidationRule;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.sriovlm.api.v1alpha1.ConditionTypes;
import io.sriovlm.api.v1alpha1.Finalizers;
import io.sriovlm.api.v1alpha1.Labels;
import io.sriovlm.api.v1alpha1.Reasons;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * docs/crd-reference.md is generated from the committed CRDs (crds/), so it cannot drift from the schemas the API
 * server enforces. Regenerate with {@code mvn -o -pl src/product test -Dtest=CrdReferenceTest -Dsriovlm.update-docs=true} (or
 * hack/update-crds.sh, which does both).
 */
class CrdReferenceTest {
    private static final Path REFERENCE = Path.of("docs", "crd-reference.md");

    @Test
    void crdReferenceIsUpToDate() throws IOException {
        String generated = generate(Path.of("crds"));
        if (Boolean.getBoolean("sriovlm.update-docs")) {
            Files.writeString(REFERENCE, generated);
        }
        assertThat(REFERENCE).as("docs/crd-reference.md exists; regenerate: %s", HOW).exists();
        assertThat(Files.readString(REFERENCE)).as("docs/crd-reference.md is stale; regenerate: %s", HOW)
                .isEqualTo(generated);
        assertThat(generated).contains("## SriovMigration", "## VfPool", "## HypervisorNic", "`spec.vmName`");
    }

    private static final String HOW = "mvn -o -pl src/product test -Dtest=CrdReferenceTest -Dsriovlm.update-docs=true";

    static String generate(Path crdDir) throws IOException {
        KubernetesSerialization serialization = new KubernetesSerialization();
        List<CustomResourceDefinition> crds = new ArrayList<>();
        try (Stream<Path> files = Files.list(crdDir)) {
            for (Path file : files.filter(f -> f.getFileName().toString().endsWith(".sriovlm.io.yaml")).sorted().toList()) {
                crds.add(serialization.unmarshal(Files.readString(file), CustomResourceDefinition.class));
            }
        }
        crds.sort(Comparator.comparing((CustomResourceDefinition c) -> order(c.getSpec().getNames().getKind()))
                .thenComparing(c -> c.getSpec().getNames().getKind()));
        StringBuilder md = new StringBuilder();
        md.append("# CRD reference\n\n");
        md.append("<!-- Generated from crds/*.yaml and the API's names by\n");
        md.append("     src/product/src/test/java/io/sriovlm/docs/CrdReferenceTest.java; do not edit.\n");
        md.append("     Regenerate: ").append(HOW).append(" -->\n\n");
        md.append("Group `").append(crds.get(0).getSpec().getGroup()).append("`. Kinds:");
        for (CustomResourceDefinition crd : crds) {
            String kind = crd.getSpec().getNames().getKind();
            md.append(" [").append(kind).append("](#").append(kind.toLowerCase()).append(")");
        }
        md.append(", and the [names](#names) users and components see.\n");
        for (CustomResourceDefinition crd : crds) {
            kind(crd, md);
        }
        names(md);
        return md.toString();
    }

    /** Every label, taint, finalizer, condition type and reason, as the API types define them (once). */
    private static void names(StringBuilder md) {
        md.append("\n## Names\n\n");
        md.append("Every label, taint, finalizer, condition type and reason that a user or another component sees is\n");
        md.append("defined once, beside the API types, in `io.sriovlm.api.v1alpha1`; the operator, the agents, the\n");
        md.append("sandbox and the tests use those constants.\n");
        for (Class<?> names : List.of(Labels.class, Finalizers.class, ConditionTypes.class, Reasons.class)) {
            md.append("\n### ").append(names.getSimpleName()).append("\n\n| constant | value |\n|---|---|\n");
            for (java.lang.reflect.Field f : names.getDeclaredFields()) {
                int m = f.getModifiers();
                if (java.lang.reflect.Modifier.isPublic(m) && java.lang.reflect.Modifier.isStatic(m)
                        && f.getType() == String.class) {
                    try {
                        md.append("| `").append(f.getName()).append("` | `").append(f.get(null)).append("` |\n");
                    } catch (IllegalAccessException e) {
                        throw new IllegalStateException(e);
                    }
                }
            }
        }
    }

    private static int order(String kind) {
        return switch (kind) {
            case "SriovMigration" -> 0;
            case "VfPool" -> 1;
            default -> 2;
        };
    }

    private static void kind(CustomResourceDefinition crd, StringBuilder md) {
        var names = crd.getSpec().getNames();
        for (CustomResourceDefinitionVersion version : crd.getSpec().getVersions()) {
            md.append("\n## ").append(names.getKind()).append("\n\n");
            md.append("| | |\n|---|---|\n");
            md.append("| apiVersion | `").append(crd.getSpec().getGroup()).append('/').append(version.getName()).append("` |\n");
            md.append("| scope | ").append(crd.getSpec().getScope()).append(" |\n");
            md.append("| plural | `").append(names.getPlural()).append("` |\n");
            if (names.getShortNames() != null && !names.getShortNames().isEmpty()) {
                md.append("| short names | ").append(names.getShortNames().stream().map(s -> "`" + s + "`")
                        .collect(Collectors.joining(", "))).append(" |\n");
            }
            md.append("| subresources | ").append(version.getSubresources() == null ? "none"
                    : version.getSubresources().getStatus() != null ? "status" : "none").append(" |\n");
            if (version.getAdditionalPrinterColumns() != null && !version.getAdditionalPrinterColumns().isEmpty()) {
                md.append("| `kubectl get` columns | ").append(version.getAdditionalPrinterColumns().stream()
                        .map(c -> c.getName() + " (`" + c.getJsonPath() + "`)").collect(Collectors.joining(", ")))
                        .append(" |\n");
            }
            JSONSchemaProps root = version.getSchema().getOpenAPIV3Schema();
            if (root.getDescription() != null) {
                md.append('\n').append(root.getDescription().strip()).append('\n');
            }
            List<String> rules = new ArrayList<>();
            collectRules(root, "", rules);
            for (String part : List.of("spec", "status")) {
                JSONSchemaProps schema = root.getProperties() == null ? null : root.getProperties().get(part);
                if (schema == null) {
                    continue;
                }
                md.append("\n### ").append(part).append("\n\n");
                md.append("| field | type | required | description |\n|---|---|---|---|\n");
                fields(schema, part, md);
            }
            if (!rules.isEmpty()) {
                md.append("\n### Validation rules (CEL)\n\n| on | rule | message |\n|---|---|---|\n");
                rules.forEach(md::append);
            }
        }
    }

    private static void fields(JSONSchemaProps schema, String path, StringBuilder md) {
        if (schema.getProperties() == null) {
            return;
        }
        Set<String> required = schema.getRequired() == null ? Set.of() : Set.copyOf(schema.getRequired());
        for (Map.Entry<String, JSONSchemaProps> e : new TreeMap<>(schema.getProperties()).entrySet()) {
            String field = path + "." + e.getKey();
            JSONSchemaProps p = e.getValue();
            md.append("| `").append(field).append("` | ").append(type(p)).append(" | ")
                    .append(required.contains(e.getKey()) ? "yes" : "").append(" | ").append(describe(p)).append(" |\n");
            fields(p, field, md);
            if (p.getItems() != null && p.getItems().getSchema() != null) {
                fields(p.getItems().getSchema(), field + "[]", md);
            }
            if (p.getAdditionalProperties() != null && p.getAdditionalProperties().getSchema() != null) {
                fields(p.getAdditionalProperties().getSchema(), field + "{}", md);
            }
        }
    }

    private static String type(JSONSchemaProps p) {
        if ("array".equals(p.getType()) && p.getItems() != null && p.getItems().getSchema() != null) {
            return "array of " + type(p.getItems().getSchema());
        }
        if ("object".equals(p.getType()) && p.getAdditionalProperties() != null
                && p.getAdditionalProperties().getSchema() != null) {
            return "map of " + type(p.getAdditionalProperties().getSchema());
        }
        if (Boolean.TRUE.equals(p.getXKubernetesIntOrString())) {
            return "int or string";
        }
        return p.getType() == null ? "any" : p.getType();
    }

    private static String describe(JSONSchemaProps p) {
        List<String> parts = new ArrayList<>();
        if (p.getDescription() != null && !p.getDescription().isBlank()) {
            parts.add(cell(p.getDescription()));
        }
        if (p.getEnum() != null && !p.getEnum().isEmpty()) {
            parts.add("One of " + p.getEnum().stream().map(v -> "`" + v.asText() + "`").collect(Collectors.joining(", ")) + ".");
        }
        if (p.getDefault() != null) {
            parts.add("Default `" + p.getDefault().asText() + "`.");
        }
        if (p.getMinimum() != null) {
            parts.add("Minimum " + number(p.getMinimum()) + ".");
        }
        if (p.getMaximum() != null) {
            parts.add("Maximum " + number(p.getMaximum()) + ".");
        }
        if (p.getPattern() != null) {
            parts.add("Pattern `" + p.getPattern().replace("|", "\\|") + "`.");
        }
        if (p.getMaxLength() != null) {
            parts.add("At most " + p.getMaxLength() + " characters.");
        }
        return String.join(" ", parts);
    }

    private static void collectRules(JSONSchemaProps schema, String path, List<String> out) {
        if (schema.getXKubernetesValidations() != null) {
            for (ValidationRule rule : schema.getXKubernetesValidations()) {
                out.add("| `" + (path.isEmpty() ? "(root)" : path) + "` | `" + cell(rule.getRule()) + "` | "
                        + cell(rule.getMessage() == null ? "" : rule.getMessage()) + " |\n");
            }
        }
        if (schema.getProperties() != null) {
            new TreeMap<>(schema.getProperties()).forEach((k, v) ->
                    collectRules(v, path.isEmpty() ? k : path + "." + k, out));
        }
        if (schema.getItems() != null && schema.getItems().getSchema() != null) {
            collectRules(schema.getItems().getSchema(), path + "[]", out);
        }
    }

    private static String cell(String text) {
        return text.strip().replace("\n", " ").replace("|", "\\|");
    }

    private static String number(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }
}
