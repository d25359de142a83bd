package io.sriovlm.deploy;

import com.marcnuri.helm.Helm;
import dev.cel.common.types.SimpleType;
import dev.cel.compiler.CelCompiler;
import dev.cel.compiler.CelCompilerFactory;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelRuntimeFactory;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The optional ValidatingAdmissionPolicy that keeps each node agent to its own node's objects: its CEL evaluated
 * with cel-java the way the API server evaluates it (matchConditions, then variables, then validations), on the
 * requests the agents really make and on the ones a stolen token would.
 */
class AgentNodePolicyTest {
    private static final String AGENT = "system:serviceaccount:sriovlm-system:sriovlm-agent";
    private static final String NODE_NAME_KEY = "authentication.kubernetes.io/node-name";
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
    private static final CelCompiler COMPILER = CelCompilerFactory.standardCelCompilerBuilder()
            .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
            .addVar("request", SimpleType.DYN)
            .addVar("object", SimpleType.DYN)
            .addVar("oldObject", SimpleType.DYN)
            .addVar("variables", SimpleType.DYN)
            .build();
    private static final CelRuntime RUNTIME = CelRuntimeFactory.standardCelRuntimeBuilder().build();

    private static Map<String, Object> policy;

    @BeforeAll
    static void render() throws Exception {
        Process p = new ProcessBuilder("/usr/bin/kubectl", "kustomize", "config/admission-policy")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        policy = spec(out, "ValidatingAdmissionPolicy");
    }

    @Test
    void theChartShipsTheSamePolicyWhenEnabled() {
        assertThat(Files.exists(Path.of("charts/sriovlm/templates/admission-policy.yaml"))).isTrue();
        String rendered = new Helm(Path.of("charts", "sriovlm")).template().withName("sriovlm")
                .withNamespace("sriovlm-system").set("admissionPolicy.enabled", "true").call();
        assertThat(spec(rendered, "ValidatingAdmissionPolicy")).isEqualTo(policy);
        assertThat(spec(rendered, "ValidatingAdmissionPolicyBinding"))
                .containsEntry("policyName", "sriovlm-agent-own-node").containsEntry("validationActions", List.of("Deny"));
        String defaults = new Helm(Path.of("charts", "sriovlm")).template().withName("sriovlm")
                .withNamespace("sriovlm-system").call();
        assertThat(defaults).doesNotContain("ValidatingAdmissionPolicy");
    }

    @Test
    void anAgentWritesTheStatusOfItsOwnNodesNic() {
        assertThat(admit(agent("hv1"), "hypervisornics", nic("hv1"), nic("hv1"))).isNull();
    }

    @Test
    void anAgentMayNotWriteAnotherNodesNic() {
        assertThat(admit(agent("hv1"), "hypervisornics", nic("hv2"), nic("hv2")))
                .contains("agent of node hv1 may not write");
    }

    @Test
    void aTokenWithoutANodeNameIsRefused() {
        Map<String, Object> request = agent("hv1");
        userInfo(request).put("extra", new LinkedHashMap<>());
        assertThat(admit(request, "hypervisornics", nic("hv1"), nic("hv1"))).contains("names no node");
    }

    @Test
    void aTokenWithNoExtraAtAllGetsThePolicysMessageNotAnEvaluationError() {
        // Seen on a real API server (1.28): without has(), "no such key: extra" answered instead of the message.
        Map<String, Object> request = agent("hv1");
        userInfo(request).remove("extra");
        assertThat(admit(request, "hypervisornics", nic("hv1"), nic("hv1"))).contains("names no node");
    }

    @Test
    void anAgentCreatesAndReportsItsOwnNodesVmInventory() {
        assertThat(admit(agent("hv1"), "CREATE", "vminventories", null, inventory("hv1", "hv1"), null)).isNull();
        assertThat(admit(agent("hv1"), "UPDATE", "vminventories", "status", inventory("hv1", "hv1"),
                inventory("hv1", "hv1"))).isNull();
    }

    @Test
    void anAgentMayNotCreateOrWriteAnotherNodesVmInventory() {
        String refused = "may only write the VmInventory of its own node";
        assertThat(admit(agent("hv1"), "CREATE", "vminventories", null, inventory("hv2", "hv2"), null)).contains(refused);
        assertThat(admit(agent("hv1"), "CREATE", "vminventories", null, inventory("hv1", "hv2"), null))
                .as("labelled for another node, which that node's agent would select").contains(refused);
        assertThat(admit(agent("hv1"), "UPDATE", "vminventories", "status", inventory("hv2", "hv2"),
                inventory("hv2", "hv2"))).contains(refused);
        assertThat(admit(agent("hv1"), "UPDATE", "vminventories", "status", inventory("hv1", "hv1"),
                inventory("hv2", "hv2"))).as("taking over another node's").contains(refused);
    }

    @Test
    void sourceAndTargetAgentsWriteTheirMigrationsAndNoOneElses() {
        Map<String, Object> m = migration("hv1", "hv2");
        assertThat(admit(agent("hv1"), "sriovmigrations", m, m)).isNull();
        assertThat(admit(agent("hv2"), "sriovmigrations", m, m)).isNull();
        assertThat(admit(agent("hv3"), "sriovmigrations", m, m)).contains("may only write migrations from or to its node");
        // Not yet scheduled: no agent has a say.
        Map<String, Object> pending = new LinkedHashMap<>(Map.of("spec", Map.of("vmName", "vm-01")));
        assertThat(admit(agent("hv1"), "sriovmigrations", pending, pending)).isNotNull();
    }

    @Test
    void anAgentMayNotRedirectAMigrationToItself() {
        assertThat(admit(agent("hv3"), "sriovmigrations", migration("hv1", "hv3"), migration("hv1", "hv2")))
                .isNotNull();
        assertThat(admit(agent("hv1"), "sriovmigrations", migration("hv1", "hv3"), migration("hv1", "hv2")))
                .isNotNull();
    }

    @Test
    void theOperatorAndUsersAreNotConcerned() {
        Map<String, Object> operator = agent("hv1");
        userInfo(operator).put("username", "system:serviceaccount:sriovlm-system:sriovlm-operator");
        assertThat(admit(operator, "hypervisornics", nic("hv2"), nic("hv2"))).isNull();
    }

    // --- the API server's order: matchConditions (all true, or the policy does not apply), variables, validations

    /** @return null when admitted, else the denial message */
    @SuppressWarnings("unchecked")
    private static String admit(Map<String, Object> request, String resource, Map<String, Object> object,
            Map<String, Object> oldObject) {
        return admit(request, "UPDATE", resource, "status", object, oldObject);
    }

    /** @return null when admitted, else the denial message; {@code oldObject} is null on a CREATE, as in the API */
    @SuppressWarnings("unchecked")
    private static String admit(Map<String, Object> request, String operation, String resource, String subResource,
            Map<String, Object> object, Map<String, Object> oldObject) {
        request.put("resource", Map.of("group", "sriovlm.io", "version", "v1alpha1", "resource", resource));
        request.put("operation", operation);
        if (subResource != null) {
            request.put("subResource", subResource);
        }
        Map<String, Object> vars = new LinkedHashMap<>();
        vars.put("request", request);
        vars.put("object", object);
        vars.put("oldObject", oldObject);
        Map<String, Object> variables = new LinkedHashMap<>();
        vars.put("variables", variables);
        for (Map<String, Object> c : (List<Map<String, Object>>) policy.get("matchConditions")) {
            if (!Boolean.TRUE.equals(eval((String) c.get("expression"), vars))) {
                return null;
            }
        }
        for (Map<String, Object> v : (List<Map<String, Object>>) policy.get("variables")) {
            variables.put((String) v.get("name"), eval((String) v.get("expression"), vars));
        }
        for (Map<String, Object> v : (List<Map<String, Object>>) policy.get("validations")) {
            Object ok;
            try {
                ok = eval((String) v.get("expression"), vars);
            } catch (IllegalStateException e) {
                ok = false; // an evaluation error denies: failurePolicy Fail
            }
            assertThat(v.get("reason")).isEqualTo("Forbidden");
            if (!Boolean.TRUE.equals(ok)) {
                return v.containsKey("messageExpression") ? (String) eval((String) v.get("messageExpression"), vars)
                        : (String) v.get("message");
            }
        }
        return null;
    }

    private static Object eval(String expression, Map<String, Object> vars) {
        try {
            CelRuntime.Program program = RUNTIME.createProgram(COMPILER.compile(expression).getAst());
            return program.eval(vars);
        } catch (Exception e) {
            throw new IllegalStateException(expression + ": " + e.getMessage(), e);
        }
    }

    private static Map<String, Object> agent(String node) {
        Map<String, Object> userInfo = new LinkedHashMap<>();
        userInfo.put("username", AGENT);
        // Mutable JDK collections: cel-java's runtime dispatches size() and friends on them, as on decoded JSON.
        userInfo.put("extra", new LinkedHashMap<>(Map.of(NODE_NAME_KEY, new ArrayList<>(List.of(node)))));
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("userInfo", userInfo);
        return request;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> userInfo(Map<String, Object> request) {
        return (Map<String, Object>) request.get("userInfo");
    }

    private static Map<String, Object> nic(String node) {
        return Map.of("spec", Map.of("nodeName", node, "numVfs", 4L), "status", Map.of("ready", true));
    }

    private static Map<String, Object> inventory(String node, String label) {
        return Map.of("metadata", Map.of("name", node + "-ens2", "labels", Map.of("sriovlm.io/node", label)),
                "spec", Map.of("nodeName", node, "nic", node + "-ens2"), "status", Map.of("vms", List.of()));
    }

    private static Map<String, Object> migration(String source, String target) {
        return Map.of("spec", Map.of("vmName", "vm-01"),
                "status", Map.of("phase", "Migrating", "sourceNode", source, "targetNode", target));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> spec(String yaml, String kind) {
        List<HasMetadata> objects = new ArrayList<>();
        for (String doc : yaml.split("(?m)^---\\s*$")) {
            if (!doc.lines().allMatch(l -> l.isBlank() || l.trim().startsWith("#"))) {
                objects.add(SERIALIZATION.unmarshal(doc));
            }
        }
        HasMetadata o = objects.stream().filter(x -> x.getKind().equals(kind)).findFirst().orElseThrow();
        return (Map<String, Object>) SERIALIZATION.convertValue(o, Map.class).get("spec");
    }
}
