package io.sriovlm.deploy;

import static io.sriovlm.testing.Manifests.kustomize;
import static io.sriovlm.testing.Manifests.parse;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.flowcontrol.v1.FlowSchema;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import org.junit.jupiter.api.BeforeAll;
import io.sriovlm.testing.Manifests;
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
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The Helm chart, rendered by Helm itself (helm-java ships Helm as a native library): lint, template with the
 * defaults and with values a platform team sets, and the defaults compared with {@code kubectl kustomize
 * config/default} so that the two install paths give a cluster the same operator.
 */
class HelmChartTest {
    private static final Path CHART = Path.of("charts", "sriovlm");
    private static final String NAMESPACE = "sriovlm-system";
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    private static List<HasMetadata> chart;
    private static List<HasMetadata> kustomize;

    @BeforeAll
    static void render() throws Exception {
        chart = template(t -> t);
        // The chart ships config/flowcontrol's FlowSchema by default; config/default cannot hold it (kustomize would
        // give the cluster-scoped object a namespace).
        kustomize = new ArrayList<>(parse(kustomize("config/default")));
        kustomize.addAll(parse(kustomize("config/flowcontrol")));
    }

    @Test
    void lintFindsNothing() {
        LintResult lint = new Helm(CHART).lint().strict().call();
        assertThat(lint.isFailed()).as(String.join("\n", lint.getMessages())).isFalse();
    }

    @Test
    void chartCrdsAreByteIdenticalToTheTopLevelCrds() throws IOException {
        Set<String> top = names(Path.of("crds"), ".sriovlm.io.yaml");
        assertThat(names(CHART.resolve("crds"), ".yaml")).isEqualTo(top).hasSize(5);
        for (String name : top) {
            assertThat(Files.readAllBytes(CHART.resolve("crds").resolve(name)))
                    .as("charts/sriovlm/crds/%s differs from crds/%s; run hack/update-crds.sh", name, name)
                    .isEqualTo(Files.readAllBytes(Path.of("crds", name)));
        }
    }

    @Test
    void defaultsRenderTheKindsKustomizeDoesPlusTheMetricsService() {
        // kustomize also renders the Namespace (Helm's --create-namespace does that) and the CRDs (Helm installs
        // crds/ itself, outside templates).
        Map<String, Long> fromKustomize = kinds(kustomize.stream()
                .filter(o -> !Set.of("Namespace", "CustomResourceDefinition").contains(o.getKind())).toList());
        Map<String, Long> fromChart = kinds(chart);
        assertThat(fromChart.remove("Service")).isEqualTo(1L);
        assertThat(fromChart).isEqualTo(fromKustomize);
        Set<String> expected = names(kustomize.stream()
                .filter(o -> !Set.of("Namespace", "CustomResourceDefinition").contains(o.getKind())).toList());
        expected.add("Service/sriovlm-operator-metrics");
        assertThat(names(chart)).isEqualTo(expected);
    }

    @Test
    void rbacRulesAreExactlyKustomizes() {
        for (String name : List.of("sriovlm-operator", "sriovlm-agent")) {
            List<PolicyRule> helm = one(chart, ClusterRole.class, name).getRules();
            List<PolicyRule> kust = one(kustomize, ClusterRole.class, name).getRules();
            assertThat(Manifests.grants(helm)).as("ClusterRole %s", name).isEqualTo(Manifests.grants(kust));
            assertThat(helm).as("ClusterRole %s, rule by rule", name).isEqualTo(kust);
        }
        Role lease = one(chart, Role.class, "sriovlm-operator-leader-election");
        assertThat(lease.getMetadata().getNamespace()).isEqualTo(NAMESPACE);
        assertThat(lease.getRules()).isEqualTo(one(kustomize, Role.class, lease.getMetadata().getName()).getRules());
        assertThat(Manifests.grants(lease.getRules())).containsExactly(Map.entry("coordination.k8s.io/leases",
                Set.of("create", "get", "patch", "update", "list", "watch")));
        Role heartbeat = one(chart, Role.class, "sriovlm-agent-heartbeat");
        assertThat(heartbeat.getMetadata().getNamespace()).isEqualTo(NAMESPACE);
        assertThat(heartbeat.getRules()).isEqualTo(one(kustomize, Role.class, "sriovlm-agent-heartbeat").getRules());
        // The verbs, spelled out: a change here is a security review, not a refactoring.
        assertThat(Manifests.grants(one(chart, ClusterRole.class, "sriovlm-agent").getRules())).containsExactlyInAnyOrderEntriesOf(Map.of(
                "sriovlm.io/hypervisornics", Set.of("get", "list", "watch"),
                "sriovlm.io/hypervisornics/status", Set.of("update"),
                "sriovlm.io/sriovmigrations", Set.of("list", "watch"),
                "sriovlm.io/sriovmigrations/status", Set.of("update"),
                "sriovlm.io/vfclaims", Set.of("list", "watch"),
                "sriovlm.io/vminventories", Set.of("get", "create"),
                "sriovlm.io/vminventories/status", Set.of("update"),
                "events", Set.of("create")));
        assertThat(Manifests.grants(one(chart, ClusterRole.class, "sriovlm-operator").getRules())).containsExactlyInAnyOrderEntriesOf(Map.ofEntries(
                Map.entry("sriovlm.io/sriovmigrations", Set.of("get", "list", "watch", "patch", "delete")),
                Map.entry("sriovlm.io/sriovmigrations/status", Set.of("update")),
                Map.entry("sriovlm.io/vfpools", Set.of("list", "watch")),
                Map.entry("sriovlm.io/vfclaims", Set.of("get", "list", "watch", "create", "update", "delete")),
                Map.entry("sriovlm.io/vfpools/status", Set.of("update")),
                Map.entry("sriovlm.io/vminventories", Set.of("list", "watch")),
                Map.entry("sriovlm.io/hypervisornics", Set.of("list", "watch", "patch")),
                Map.entry("sriovlm.io/hypervisornics/status", Set.of("update")),
                Map.entry("nodes", Set.of("list", "watch")),
                Map.entry("nodes/status", Set.of("update")),
                Map.entry("events", Set.of("create"))));
        Role evacuation = one(chart, Role.class, "sriovlm-operator-evacuation");
        assertThat(evacuation.getMetadata().getNamespace()).isEqualTo(NAMESPACE);
        assertThat(evacuation.getRules()).isEqualTo(one(kustomize, Role.class, "sriovlm-operator-evacuation").getRules());
    }

    @Test
    void eachRoleIsBoundToItsOwnServiceAccountInTheReleaseNamespace() {
        for (String name : List.of("sriovlm-operator", "sriovlm-agent")) {
            ClusterRoleBinding b = one(chart, ClusterRoleBinding.class, name);
            assertThat(b.getRoleRef().getName()).isEqualTo(name);
            assertThat(b.getSubjects()).singleElement().satisfies(s -> {
                assertThat(s.getKind()).isEqualTo("ServiceAccount");
                assertThat(s.getName()).isEqualTo(name);
                assertThat(s.getNamespace()).isEqualTo(NAMESPACE);
            });
        }
        RoleBinding lease = one(chart, RoleBinding.class, "sriovlm-operator-leader-election");
        assertThat(lease.getSubjects()).singleElement().satisfies(s -> assertThat(s.getName()).isEqualTo("sriovlm-operator"));
        assertThat(deployment(chart).getSpec().getTemplate().getSpec().getServiceAccountName()).isEqualTo("sriovlm-operator");
        assertThat(daemonSet(chart).getSpec().getTemplate().getSpec().getServiceAccountName()).isEqualTo("sriovlm-agent");
    }

    @Test
    void labelsOnEveryObjectSelectorsAsKustomizes() {
        assertThat(chart).allSatisfy(o -> {
            assertThat(o.getMetadata().getLabels()).as("%s/%s", o.getKind(), o.getMetadata().getName())
                    .containsEntry("app.kubernetes.io/name", "sriovlm")
                    .containsEntry("app.kubernetes.io/part-of", "sriovlm")
                    .containsEntry("app.kubernetes.io/instance", "sriovlm")
                    .containsEntry("app.kubernetes.io/managed-by", "Helm")
                    .containsKey("helm.sh/chart");
            if (o.getMetadata().getNamespace() != null) {
                assertThat(o.getMetadata().getNamespace()).isEqualTo(NAMESPACE);
            }
        });
        assertThat(chart).filteredOn(o -> Set.of("ClusterRole", "ClusterRoleBinding").contains(o.getKind()))
                .allSatisfy(o -> assertThat(o.getMetadata().getNamespace()).isNull());
        Deployment d = deployment(chart);
        DaemonSet ds = daemonSet(chart);
        // Selectors are immutable: the chart's are kustomize's, so switching install paths keeps the workloads.
        assertThat(d.getSpec().getSelector()).isEqualTo(deployment(kustomize).getSpec().getSelector());
        assertThat(ds.getSpec().getSelector()).isEqualTo(daemonSet(kustomize).getSpec().getSelector());
        assertThat(d.getSpec().getTemplate().getMetadata().getLabels())
                .containsAllEntriesOf(d.getSpec().getSelector().getMatchLabels());
        assertThat(ds.getSpec().getTemplate().getMetadata().getLabels())
                .containsAllEntriesOf(ds.getSpec().getSelector().getMatchLabels());
        Service metrics = one(chart, Service.class, "sriovlm-operator-metrics");
        assertThat(metrics.getSpec().getSelector()).isEqualTo(d.getSpec().getSelector().getMatchLabels());
    }

    @Test
    void operatorDeploymentMatchesKustomizeInSubstance() {
        Deployment helm = deployment(chart);
        Deployment kust = deployment(kustomize);
        assertThat(helm.getSpec().getReplicas()).isEqualTo(kust.getSpec().getReplicas()).isEqualTo(1);
        PodSpec hp = helm.getSpec().getTemplate().getSpec();
        PodSpec kp = kust.getSpec().getTemplate().getSpec();
        Container h = single(hp);
        Container k = single(kp);
        assertThat(h.getEnv()).isEqualTo(k.getEnv());
        assertThat(h.getEnv()).filteredOn(e -> e.getName().equals("POD_NAMESPACE")).singleElement()
                .satisfies(e -> assertThat(e.getValueFrom().getFieldRef().getFieldPath()).isEqualTo("metadata.namespace"));
        assertThat(h.getLivenessProbe()).isEqualTo(k.getLivenessProbe());
        assertThat(h.getReadinessProbe()).isEqualTo(k.getReadinessProbe());
        assertThat(h.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/q/health/live");
        assertThat(h.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/q/health/ready");
        assertThat(h.getPorts()).isEqualTo(k.getPorts());
        assertThat(h.getResources()).isEqualTo(k.getResources());
        assertThat(h.getSecurityContext()).isEqualTo(k.getSecurityContext());
        assertThat(hp.getSecurityContext()).isEqualTo(kp.getSecurityContext());
        assertThat(h.getVolumeMounts()).isEqualTo(k.getVolumeMounts());
        assertThat(hp.getVolumes()).isEqualTo(kp.getVolumes());
        assertThat(h.getImage()).isEqualTo(k.getImage()).isEqualTo("sriovlm:0.1.0");
    }

    @Test
    void agentDaemonSetMatchesKustomizeInSubstance() {
        DaemonSet helm = daemonSet(chart);
        DaemonSet kust = daemonSet(kustomize);
        PodSpec hp = helm.getSpec().getTemplate().getSpec();
        PodSpec kp = kust.getSpec().getTemplate().getSpec();
        Container h = single(hp);
        Container k = single(kp);
        assertThat(hp.getHostNetwork()).isTrue();
        assertThat(hp.getHostPID()).isFalse();
        assertThat(hp.getDnsPolicy()).isEqualTo(kp.getDnsPolicy()).isEqualTo("ClusterFirstWithHostNet");
        assertThat(h.getSecurityContext().getPrivileged()).isTrue();
        assertThat(h.getSecurityContext()).isEqualTo(k.getSecurityContext());
        assertThat(hp.getNodeSelector()).isEqualTo(kp.getNodeSelector())
                .containsExactly(Map.entry("sriovlm.io/hypervisor", "true"));
        assertThat(hp.getTolerations()).isEqualTo(kp.getTolerations());
        assertThat(h.getEnv()).isEqualTo(k.getEnv());
        assertThat(h.getResources()).isEqualTo(k.getResources());
        assertThat(helm.getSpec().getUpdateStrategy()).isEqualTo(kust.getSpec().getUpdateStrategy());
        assertThat(mounts(hp, h)).isEqualTo(mounts(kp, k)).containsExactlyInAnyOrderEntriesOf(Map.of(
                "/sys", "/sys", "/var/run/libvirt", "/var/run/libvirt",
                "/var/run/openvswitch", "/var/run/openvswitch", "/tmp", "emptyDir",
                "/etc/pki/CA", "secret sriovlm-libvirt-tls [cacert.pem]",
                "/etc/pki/libvirt", "secret sriovlm-libvirt-tls [clientcert.pem, private/clientkey.pem]"));
        assertThat(hp.getVolumes()).filteredOn(v -> v.getSecret() != null).isEqualTo(
                kp.getVolumes().stream().filter(v -> v.getSecret() != null).toList());
        assertThat(h.getVolumeMounts()).filteredOn(m -> m.getMountPath().startsWith("/etc/pki"))
                .allSatisfy(m -> assertThat(m.getReadOnly()).isTrue());
    }

    @Test
    void libvirtTlsSecretCanBeRenamedRequiredOrLeftOut() throws Exception {
        PodSpec renamed = daemonSet(template(t -> t.set("agent.libvirtTls.secretName", "hv-libvirt-client")
                .set("agent.libvirtTls.optional", "false"))).getSpec().getTemplate().getSpec();
        assertThat(renamed.getVolumes()).filteredOn(v -> v.getSecret() != null).hasSize(2).allSatisfy(v -> {
            assertThat(v.getSecret().getSecretName()).isEqualTo("hv-libvirt-client");
            assertThat(v.getSecret().getOptional()).isFalse();
        });
        PodSpec without = daemonSet(template(t -> t.set("agent.libvirtTls.enabled", "false"))).getSpec().getTemplate()
                .getSpec();
        assertThat(without.getVolumes()).noneMatch(v -> v.getSecret() != null);
        assertThat(single(without).getVolumeMounts()).noneMatch(m -> m.getMountPath().startsWith("/etc/pki"));
    }

    @Test
    @SuppressWarnings("unchecked")
    void serviceMonitorIsOptionalAndScrapesTheOperatorsMetrics() throws Exception {
        assertThat(chart).noneMatch(o -> o.getKind().equals("ServiceMonitor"));
        List<HasMetadata> on = template(t -> t.set("metrics.serviceMonitor.enabled", "true")
                .set("metrics.serviceMonitor.labels.release", "prom"));
        GenericKubernetesResource sm = (GenericKubernetesResource) on.stream()
                .filter(o -> o.getKind().equals("ServiceMonitor")).findFirst().orElseThrow();
        assertThat(sm.getApiVersion()).isEqualTo("monitoring.coreos.com/v1");
        assertThat(sm.getMetadata().getLabels()).containsEntry("release", "prom");
        @SuppressWarnings("unchecked")
        Map<String, Object> spec = (Map<String, Object>) sm.getAdditionalProperties().get("spec");
        assertThat(spec.get("selector")).isEqualTo(Map.of("matchLabels",
                Map.of("app.kubernetes.io/name", "sriovlm", "app.kubernetes.io/component", "operator")));
        assertThat((List<?>) spec.get("endpoints")).singleElement().satisfies(e -> assertThat((Map<String, Object>) e)
                .containsEntry("port", "http").containsEntry("path", "/q/metrics"));

        assertThatThrownBy(() -> template(t -> t.set("metrics.serviceMonitor.enabled", "true")
                .set("metrics.service.enabled", "false")))
                .hasMessageContaining("metrics.serviceMonitor.enabled needs metrics.service.enabled");
    }

    @Test
    void customImageAgentNodeSelectorAndTwoOperatorReplicas() throws Exception {
        List<HasMetadata> set = template(t -> t
                .set("image.repository", "registry.example.com/infra/sriovlm")
                .set("image.tag", "0.2.0")
                .set("agent.nodeSelector.node-role\\.example\\.com/kvm", "yes")
                .set("operator.replicas", "2"));
        assertThat(single(deployment(set).getSpec().getTemplate().getSpec()).getImage())
                .isEqualTo("registry.example.com/infra/sriovlm:0.2.0");
        assertThat(single(daemonSet(set).getSpec().getTemplate().getSpec()).getImage())
                .isEqualTo("registry.example.com/infra/sriovlm:0.2.0");
        assertThat(deployment(set).getSpec().getReplicas()).isEqualTo(2);
        // Helm merges maps: the user's key joins the hypervisor label.
        assertThat(daemonSet(set).getSpec().getTemplate().getSpec().getNodeSelector()).containsExactlyInAnyOrderEntriesOf(
                Map.of("sriovlm.io/hypervisor", "true", "node-role.example.com/kvm", "yes"));
        // Two replicas are safe only because of the Lease: the env and the Role are still there.
        assertThat(single(deployment(set).getSpec().getTemplate().getSpec()).getEnv()).extracting(EnvVar::getName)
                .contains("POD_NAMESPACE");
        assertThat(set).anyMatch(o -> o instanceof Role r && r.getMetadata().getName().equals("sriovlm-operator-leader-election"));
    }

    @Test
    void dashboardsConfigMapShipsTheDashboardFile() throws Exception {
        assertThat(chart).noneMatch(o -> o.getKind().equals("ConfigMap"));
        List<HasMetadata> on = template(t -> t.set("grafana.dashboards.enabled", "true"));
        ConfigMap cm = one(on, ConfigMap.class, "sriovlm-dashboards");
        assertThat(cm.getMetadata().getLabels()).containsEntry("grafana_dashboard", "1");
        assertThat(cm.getData().get("sriovlm.json").strip())
                .isEqualTo(Files.readString(CHART.resolve("dashboards/sriovlm.json")).strip());
    }

    @Test
    void leaderElectionFlowSchemaIsKustomizesAndCanBeLeftOut() throws Exception {
        FlowSchema helm = one(chart, FlowSchema.class, "sriovlm-operator-leader-election");
        assertThat(helm.getSpec()).isEqualTo(one(kustomize, FlowSchema.class, helm.getMetadata().getName()).getSpec());
        assertThat(helm.getSpec().getPriorityLevelConfiguration().getName()).isEqualTo("leader-election");
        assertThat(helm.getSpec().getRules().get(0).getSubjects().get(0).getServiceAccount().getNamespace())
                .isEqualTo(NAMESPACE);
        assertThat(template(t -> t.set("flowControl.leaderElection", "false"))).noneMatch(FlowSchema.class::isInstance);
    }

    @Test
    void everyValueIsDocumented() throws IOException {
        // A "# --" comment directly above every key of values.yaml (helm-docs' convention).
        List<String> lines = Files.readAllLines(CHART.resolve("values.yaml"));
        List<String> undocumented = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.matches("^\\s*[A-Za-z][A-Za-z0-9]*:.*") && !line.trim().startsWith("-")) {
                int j = i - 1;
                while (j >= 0 && lines.get(j).trim().startsWith("#") && !lines.get(j).trim().startsWith("# --")) {
                    j--;
                }
                boolean documented = j >= 0 && lines.get(j).trim().startsWith("# --");
                boolean group = line.trim().endsWith(":");
                boolean insideValue = indent(line) > 0 && isInsideDocumentedValue(lines, i);
                if (!documented && !group && !insideValue) {
                    undocumented.add((i + 1) + ": " + line.trim());
                }
            }
        }
        assertThat(undocumented).isEmpty();
    }

    // --- helpers

    /** True when the key at {@code i} lies inside a map or list value whose key carries the "# --" comment. */
    private static boolean isInsideDocumentedValue(List<String> lines, int i) {
        int level = indent(lines.get(i));
        for (int j = i - 1; j >= 0; j--) {
            String l = lines.get(j);
            if (l.isBlank() || l.trim().startsWith("#")) {
                continue;
            }
            if (indent(l) < level && !l.trim().startsWith("-")) {
                return j > 0 && lines.get(j - 1).trim().startsWith("# --")
                        || isInsideDocumentedValue(lines, j) && indent(l) > 0;
            }
        }
        return false;
    }

    private static int indent(String line) {
        return line.length() - line.stripLeading().length();
    }

    private static List<HasMetadata> template(UnaryOperator<TemplateCommand> values) {
        TemplateCommand cmd = new Helm(CHART).template().withName("sriovlm").withNamespace(NAMESPACE);
        return parse(values.apply(cmd).call());
    }

    private static Set<String> names(Path dir, String suffix) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(suffix))
                    .collect(Collectors.toCollection(TreeSet::new));
        }
    }

    private static Set<String> names(List<HasMetadata> objects) {
        return objects.stream().map(o -> o.getKind() + "/" + o.getMetadata().getName())
                .collect(Collectors.toCollection(TreeSet::new));
    }

    private static Map<String, Long> kinds(List<HasMetadata> objects) {
        return objects.stream().collect(Collectors.groupingBy(HasMetadata::getKind, TreeMap::new, Collectors.counting()));
    }

    private static <T extends HasMetadata> T one(List<HasMetadata> objects, Class<T> type, String name) {
        return objects.stream().filter(type::isInstance).map(type::cast)
                .filter(o -> o.getMetadata().getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + type.getSimpleName() + " " + name));
    }

    private static Deployment deployment(List<HasMetadata> objects) {
        return one(objects, Deployment.class, "sriovlm-operator");
    }

    private static DaemonSet daemonSet(List<HasMetadata> objects) {
        return one(objects, DaemonSet.class, "sriovlm-agent");
    }

    private static Container single(PodSpec pod) {
        assertThat(pod.getContainers()).hasSize(1);
        return pod.getContainers().get(0);
    }

    /** mountPath -> host path, or the volume's kind when it is not a hostPath. */
    private static Map<String, String> mounts(PodSpec pod, Container c) {
        Map<String, String> mounts = new TreeMap<>();
        for (VolumeMount m : c.getVolumeMounts()) {
            Volume v = pod.getVolumes().stream().filter(x -> x.getName().equals(m.getName())).findFirst().orElseThrow();
            mounts.put(m.getMountPath(), v.getHostPath() != null ? v.getHostPath().getPath()
                    : v.getEmptyDir() != null ? "emptyDir"
                    : v.getSecret() != null ? "secret " + v.getSecret().getSecretName() + " "
                            + v.getSecret().getItems().stream().map(i -> i.getPath()).toList()
                    : "other");
        }
        return mounts;
    }

}
