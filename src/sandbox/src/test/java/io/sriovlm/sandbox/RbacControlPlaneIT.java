package io.sriovlm.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.sriovlm.testing.Manifests;
import org.junit.jupiter.api.ClassOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Real-control-plane tier, run last ({@link ClassOrderer.OrderAnnotation}, see junit-platform.properties): the
 * shipped RBAC is the minimum the tier needs. It reads the API server's audit log of every request the operator and
 * the agents made in the other classes of the tier and checks, for each ServiceAccount:
 * <ul>
 * <li>sufficient: the RBAC authorizer denied none of their requests;</li>
 * <li>minimal: every verb on every resource their Roles and ClusterRoles grant was used and allowed at least once, but
 * for the exceptions below, each with the reason it is granted all the same.</li>
 * </ul>
 */
@Tag("control-plane")
@Order(Integer.MAX_VALUE)
class RbacControlPlaneIT {
    /** The test classes whose audit logs together make the tier's record. */
    static final List<String> TIER = List.of(MigrationControlPlaneIT.class.getSimpleName(),
            LeaderElectionControlPlaneIT.class.getSimpleName(), EvacuationControlPlaneIT.class.getSimpleName(),
            ChaosControlPlaneIT.class.getSimpleName());
    static final String OPERATOR = "system:serviceaccount:sriovlm-system:sriovlm-operator";
    static final String AGENT = "system:serviceaccount:sriovlm-system:sriovlm-agent";

    /**
     * Granted but not called by the product itself: JOSDK's LeaderElectionManager refuses to start unless a
     * SelfSubjectRulesReview shows get, create and update on leases; fabric8's LeaseLock renews with patch. The test
     * checks that the operator did ask that review.
     */
    static final Map<String, String> NOT_CALLED_BUT_CHECKED = Map.of(
            OPERATOR + " update coordination.k8s.io/leases",
            "JOSDK's LeaderElectionManager checks get/create/update on leases before it starts");

    record Use(String user, String verb, String resource) implements Comparable<Use> {
        @Override
        public int compareTo(Use o) {
            return toString().compareTo(o.toString());
        }

        @Override
        public String toString() {
            return user + " " + verb + " " + resource;
        }
    }

    @Test
    void everyRequestOfTheProductWasAllowedAndEveryGrantedVerbWasUsed() throws IOException, InterruptedException {
        Set<Use> allowed = new TreeSet<>();
        List<String> denied = new ArrayList<>();
        boolean reviewedLeases = false;
        for (String test : TIER) {
            Path log = ControlPlaneWorld.AUDIT_DIR.resolve(test + ".log");
            assertThat(log).as("the audit log of %s: run the whole tier (hack/e2e-control-plane.sh)", test).exists();
            for (String line : Files.readAllLines(log)) {
                JsonNode event = Serialization.jsonMapper().readTree(line);
                String user = event.path("user").path("username").asText();
                JsonNode ref = event.path("objectRef");
                String resource = resource(ref.path("apiGroup").asText(""), ref.path("resource").asText(""),
                        ref.path("subresource").asText(""));
                String decision = event.path("annotations").path("authorization.k8s.io/decision").asText("");
                Use use = new Use(user, event.path("verb").asText(), resource);
                if (decision.equals("forbid")) {
                    denied.add(use + " (" + event.path("annotations").path("authorization.k8s.io/reason")
                            .asText() + ") in " + test);
                } else if (decision.equals("allow")) {
                    allowed.add(use);
                    reviewedLeases |= use.equals(new Use(OPERATOR, "create",
                            "authorization.k8s.io/selfsubjectrulesreviews"));
                }
            }
        }
        assertThat(denied).as("requests of the product the RBAC authorizer denied").isEmpty();

        Map<String, String> unused = new TreeMap<>();
        for (Use granted : granted()) {
            if (!allowed.contains(granted)) {
                unused.put(granted.toString(), NOT_CALLED_BUT_CHECKED.get(granted.toString()));
            }
        }
        assertThat(unused).as("granted but never used in the tier (null: no reason known; drop the verb)")
                .isEqualTo(NOT_CALLED_BUT_CHECKED);
        assertThat(reviewedLeases).as("the operator asked a SelfSubjectRulesReview (JOSDK's leader election check)")
                .isTrue();
    }

    /** What config/rbac grants the two ServiceAccounts, one entry per verb and resource. */
    static Set<Use> granted() throws IOException, InterruptedException {
        List<HasMetadata> objects = Manifests.parse(Manifests.kustomize("config/rbac"));
        Map<String, List<PolicyRule>> rules = new TreeMap<>();
        for (HasMetadata o : objects) {
            if (o instanceof ClusterRole r) {
                rules.put("ClusterRole/" + r.getMetadata().getName(), r.getRules());
            } else if (o instanceof Role r) {
                rules.put("Role/" + r.getMetadata().getName(), r.getRules());
            }
        }
        Set<Use> granted = new TreeSet<>();
        for (HasMetadata o : objects) {
            List<Subject> subjects;
            String role;
            if (o instanceof ClusterRoleBinding b) {
                subjects = b.getSubjects();
                role = b.getRoleRef().getKind() + "/" + b.getRoleRef().getName();
            } else if (o instanceof RoleBinding b) {
                subjects = b.getSubjects();
                role = b.getRoleRef().getKind() + "/" + b.getRoleRef().getName();
            } else {
                continue;
            }
            for (Subject s : subjects) {
                String user = "system:serviceaccount:sriovlm-system:" + s.getName();
                for (PolicyRule rule : rules.getOrDefault(role, List.of())) {
                    for (String group : rule.getApiGroups()) {
                        for (String resource : rule.getResources()) {
                            String[] split = resource.split("/", 2);
                            for (String verb : rule.getVerbs()) {
                                granted.add(new Use(user, verb, resource(group, split[0],
                                        split.length > 1 ? split[1] : "")));
                            }
                        }
                    }
                }
            }
        }
        assertThat(granted).as("RBAC rendered from config/rbac").isNotEmpty()
                .anyMatch(u -> u.user().equals(OPERATOR)).anyMatch(u -> u.user().equals(AGENT));
        return granted;
    }

    private static String resource(String group, String resource, String subresource) {
        return (group.isEmpty() ? "" : group + "/") + resource + (subresource.isEmpty() ? "" : "/" + subresource);
    }
}
