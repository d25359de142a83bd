package io.sriovlm.deploy;

import static io.sriovlm.testing.Manifests.kustomize;
import static io.sriovlm.testing.Manifests.parse;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.sriovlm.api.v1alpha1.ApiPatterns;
import io.sriovlm.api.v1alpha1.HypervisorNic;
import io.sriovlm.api.v1alpha1.HypervisorNicSpec;
import io.sriovlm.api.v1alpha1.SriovMigration;
import io.sriovlm.api.v1alpha1.VfHandoff;
import io.sriovlm.api.v1alpha1.VfPool;
import org.junit.jupiter.api.BeforeAll;
import io.sriovlm.testing.Manifests;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Renders the kustomize layout the way a user applies it ({@code kubectl kustomize}, offline) and checks what a
 * cluster would receive: CRDs, the two workloads, least-privilege RBAC that matches docs/rbac.md, common labels,
 * and samples that fit both the CRD schemas and the Java API types.
 */
class KustomizeTest {
    private static final String NAMESPACE = "sriovlm-system";
    private static final Map<String, String> COMMON_LABELS = Map.of(
            "app.kubernetes.io/name", "sriovlm", "app.kubernetes.io/part-of", "sriovlm");
    private static final Set<String> WRITE_VERBS = Set.of("create", "update", "patch", "delete", "deletecollection",
            "escalate", "bind", "impersonate", "*");

    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
    private static List<HasMetadata> rendered;
    private static List<HasMetadata> samples;

    @BeforeAll
    static void render() throws Exception {
        rendered = parse(kustomize("config/default"));
        samples = parse(kustomize("config/samples"));
    }

    @Test
    void rendersTheNamespaceAndTheFiveCrds() {
        assertThat(rendered).filteredOn(o -> o.getKind().equals("Namespace"))
                .extracting(o -> o.getMetadata().getName()).containsExactly(NAMESPACE);
        assertThat(crds()).extracting(o -> o.getMetadata().getName()).containsExactlyInAnyOrder(
                "hypervisornics.sriovlm.io", "sriovmigrations.sriovlm.io", "vfpools.sriovlm.io",
                "vfclaims.sriovlm.io", "vminventories.sriovlm.io");
        assertThat(crds()).allSatisfy(crd -> assertThat(crd.getMetadata().getNamespace()).isNull());
    }

    @Test
    void everyObjectCarriesTheCommonLabelsAndNamespacedOnesLiveInSriovlmSystem() {
        Set<String> clusterScoped = Set.of("Namespace", "CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding");
        assertThat(rendered).hasSizeGreaterThanOrEqualTo(13).allSatisfy(o -> {
            assertThat(o.getMetadata().getLabels()).as("%s %s", o.getKind(), o.getMetadata().getName())
                    .containsAllEntriesOf(COMMON_LABELS);
            if (!clusterScoped.contains(o.getKind())) {
                assertThat(o.getMetadata().getNamespace()).as("%s %s", o.getKind(), o.getMetadata().getName())
                        .isEqualTo(NAMESPACE);
            }
        });
        // Pod templates too, so `kubectl get pods -l app.kubernetes.io/part-of=sriovlm` finds both roles.
        assertThat(deployment().getSpec().getTemplate().getMetadata().getLabels()).containsAllEntriesOf(COMMON_LABELS);
        assertThat(daemonSet().getSpec().getTemplate().getMetadata().getLabels()).containsAllEntriesOf(COMMON_LABELS);
    }

    @Test
    void operatorDeploymentIsUnprivilegedProbedAndLeaderElectionReady() {
        Deployment d = deployment();
        PodSpec pod = d.getSpec().getTemplate().getSpec();
        assertThat(pod.getServiceAccountName()).isEqualTo("sriovlm-operator");
        assertThat(d.getSpec().getTemplate().getMetadata().getLabels())
                .containsAllEntriesOf(d.getSpec().getSelector().getMatchLabels());
        assertThat(pod.getHostNetwork()).isNotEqualTo(Boolean.TRUE);
        Container c = single(pod);
        assertThat(c.getImage()).isEqualTo("sriovlm:0.1.0");
        assertThat(env(c)).containsEntry("SRIOVLM_ROLE", "operator");
        EnvVar ns = c.getEnv().stream().filter(e -> e.getName().equals("POD_NAMESPACE")).findFirst().orElseThrow();
        assertThat(ns.getValueFrom().getFieldRef().getFieldPath()).isEqualTo("metadata.namespace");

        assertThat(c.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/q/health/live");
        assertThat(c.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/q/health/ready");
        assertThat(List.of(c.getLivenessProbe(), c.getReadinessProbe())).allSatisfy(p -> {
            String port = p.getHttpGet().getPort().getStrVal();
            Integer number = port == null ? p.getHttpGet().getPort().getIntVal()
                    : c.getPorts().stream().filter(cp -> port.equals(cp.getName())).findFirst().orElseThrow()
                            .getContainerPort();
            assertThat(number).isEqualTo(8080);
        });

        assertThat(c.getResources().getRequests()).containsEntry("cpu", quantity("200m"))
                .containsEntry("memory", quantity("384Mi"));
        assertThat(c.getResources().getLimits()).containsEntry("cpu", quantity("1"))
                .containsEntry("memory", quantity("512Mi"));

        var sc = c.getSecurityContext();
        assertThat(sc.getRunAsNonRoot()).isTrue();
        assertThat(sc.getReadOnlyRootFilesystem()).isTrue();
        assertThat(sc.getAllowPrivilegeEscalation()).isFalse();
        assertThat(sc.getPrivileged()).isNotEqualTo(Boolean.TRUE);
        assertThat(sc.getCapabilities().getDrop()).containsExactly("ALL");
        assertThat(sc.getCapabilities().getAdd()).isNullOrEmpty();
        assertThat(sc.getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
        assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(pod.getSecurityContext().getRunAsUser()).isPositive();
    }

    @Test
    void agentDaemonSetIsPrivilegedOnTheHostNetworkWithSysAndLibvirtMounted() {
        DaemonSet ds = daemonSet();
        PodSpec pod = ds.getSpec().getTemplate().getSpec();
        assertThat(pod.getServiceAccountName()).isEqualTo("sriovlm-agent");
        assertThat(ds.getSpec().getTemplate().getMetadata().getLabels())
                .containsAllEntriesOf(ds.getSpec().getSelector().getMatchLabels());
        // The two workloads must not select each other's pods.
        assertThat(ds.getSpec().getSelector().getMatchLabels())
                .isNotEqualTo(deployment().getSpec().getSelector().getMatchLabels());
        assertThat(pod.getHostNetwork()).isTrue();
        assertThat(pod.getHostPID()).isNotEqualTo(Boolean.TRUE);
        assertThat(pod.getNodeSelector()).containsExactly(Map.entry("sriovlm.io/hypervisor", "true"));
        assertThat(pod.getTolerations()).anySatisfy(t -> {
            assertThat(t.getKey()).isEqualTo("node.kubernetes.io/unschedulable");
            assertThat(t.getEffect()).isEqualTo("NoSchedule");
        }).anySatisfy(t -> {
            assertThat(t.getKey()).isEqualTo("sriovlm.io/evacuate");
            assertThat(t.getEffect()).isEqualTo("NoSchedule");
        });

        Container c = single(pod);
        assertThat(c.getSecurityContext().getPrivileged()).isTrue();
        assertThat(env(c)).containsEntry("SRIOVLM_ROLE", "agent")
                .containsEntry("SRIOVLM_AGENT_LIBVIRT_URI", "qemu:///system")
                .containsEntry("SRIOVLM_AGENT_SYSFS_ROOT", "/sys")
                .containsEntry("SRIOVLM_AGENT_MIGRATION_URI", "qemu+tls://$(NODE_NAME)/system")
                .containsEntry("SRIOVLM_AGENT_OVS_DB_SOCKET", "/var/run/openvswitch/db.sock");
        EnvVar node = c.getEnv().stream().filter(e -> e.getName().equals("NODE_NAME")).findFirst().orElseThrow();
        assertThat(node.getValueFrom().getFieldRef().getFieldPath()).isEqualTo("spec.nodeName");
        // $(NODE_NAME) is only expanded when NODE_NAME is declared before the variable that uses it.
        List<String> names = c.getEnv().stream().map(EnvVar::getName).toList();
        assertThat(names.indexOf("NODE_NAME")).isLessThan(names.indexOf("SRIOVLM_AGENT_MIGRATION_URI"));

        assertThat(hostPathMountedAt(pod, c, "/sys")).isEqualTo("/sys");
        assertThat(hostPathMountedAt(pod, c, "/var/run/libvirt")).isEqualTo("/var/run/libvirt");
        assertThat(hostPathMountedAt(pod, c, "/var/run/openvswitch")).isEqualTo("/var/run/openvswitch");
        // libvirt's client TLS material, read-only from one optional Secret, at the paths libvirt reads as root
        Map<String, String> tls = new java.util.TreeMap<>();
        for (VolumeMount m : c.getVolumeMounts()) {
            Volume v = pod.getVolumes().stream().filter(x -> x.getName().equals(m.getName())).findFirst().orElseThrow();
            if (v.getSecret() != null) {
                assertThat(m.getReadOnly()).as(m.getMountPath()).isTrue();
                assertThat(v.getSecret().getSecretName()).isEqualTo("sriovlm-libvirt-tls");
                assertThat(v.getSecret().getOptional()).isTrue();
                v.getSecret().getItems().forEach(i -> tls.put(m.getMountPath() + "/" + i.getPath(), i.getKey()));
                if (m.getMountPath().equals("/etc/pki/libvirt")) {
                    assertThat(v.getSecret().getDefaultMode()).as("the private key's mode").isEqualTo(0400);
                }
            }
        }
        assertThat(tls).containsExactlyInAnyOrderEntriesOf(Map.of("/etc/pki/CA/cacert.pem", "cacert.pem",
                "/etc/pki/libvirt/clientcert.pem", "clientcert.pem",
                "/etc/pki/libvirt/private/clientkey.pem", "clientkey.pem"));
        assertThat(c.getResources().getRequests()).containsKeys("cpu", "memory");
        assertThat(c.getResources().getLimits()).containsKeys("cpu", "memory");
    }

    @Test
    void agentClusterRoleWritesOnlyStatusEventsAndCreatesItsInventory() {
        ClusterRole agent = clusterRole("sriovlm-agent");
        assertThat(agent.getRules()).isNotEmpty().allSatisfy(rule -> {
            assertThat(rule.getApiGroups()).doesNotContain("*");
            assertThat(rule.getResourceNames()).isNullOrEmpty();
            assertThat(rule.getNonResourceURLs()).isNullOrEmpty();
            for (String resource : rule.getResources()) {
                assertThat(resource).isNotEqualTo("*").doesNotEndWith("/*");
                Set<String> writes = new TreeSet<>(rule.getVerbs());
                writes.retainAll(WRITE_VERBS);
                if (resource.endsWith("/status")) {
                    assertThat(rule.getApiGroups()).as(resource).containsExactly("sriovlm.io");
                    assertThat(rule.getVerbs()).as(resource).isSubsetOf("get", "update", "patch");
                } else if (resource.equals("events")) {
                    assertThat(rule.getApiGroups()).as(resource).containsExactly("");
                    assertThat(writes).as(resource).containsExactly("create");
                } else if (resource.equals("vminventories")) {
                    // Its node's, created once; never updated (the spec is immutable) or deleted (GC does).
                    assertThat(rule.getApiGroups()).as(resource).containsExactly("sriovlm.io");
                    assertThat(writes).as(resource).containsExactly("create");
                } else {
                    assertThat(writes).as("write verbs on %s", resource).isEmpty();
                }
            }
        });
        // And what it does get is the table in docs/rbac.md, which names the code path of each grant.
        assertThat(Manifests.grants(agent.getRules())).isEqualTo(documented("ClusterRole `sriovlm-agent`"));
        assertThat(Manifests.grants(agent.getRules())).containsOnlyKeys("sriovlm.io/hypervisornics",
                "sriovlm.io/hypervisornics/status", "sriovlm.io/sriovmigrations", "sriovlm.io/sriovmigrations/status",
                "sriovlm.io/vfclaims", "sriovlm.io/vminventories", "sriovlm.io/vminventories/status", "events");
    }

    @Test
    void operatorRolesGrantExactlyWhatDocsRbacMdLists() {
        Map<String, Set<String>> cluster = Manifests.grants(clusterRole("sriovlm-operator").getRules());
        assertThat(cluster).isEqualTo(documented("ClusterRole `sriovlm-operator`"));
        // The calls the operator code makes, spelled out, so that neither the doc nor the manifest can drop one.
        assertThat(cluster).containsEntry("sriovlm.io/sriovmigrations", Set.of("get", "list", "watch", "patch", "delete"))
                .containsEntry("sriovlm.io/sriovmigrations/status", Set.of("update"))
                .containsEntry("sriovlm.io/vfpools/status", Set.of("update"))
                .containsEntry("sriovlm.io/vfclaims", Set.of("get", "list", "watch", "create", "update", "delete"))
                .containsEntry("sriovlm.io/hypervisornics", Set.of("list", "watch", "patch"))
                .containsEntry("sriovlm.io/hypervisornics/status", Set.of("update"))
                .containsEntry("nodes", Set.of("list", "watch"))
                .containsEntry("nodes/status", Set.of("update"))
                .containsEntry("events", Set.of("create"));
        assertThat(cluster.values()).allSatisfy(verbs -> assertThat(verbs).doesNotContain("*", "deletecollection",
                "escalate", "bind", "impersonate"));
        // Cluster-wide delete only of finished SriovMigrations (history retention, docs/decisions/012) and of the
        // operator's own VfClaims (docs/decisions/013).
        assertThat(cluster.entrySet()).filteredOn(grant -> grant.getValue().contains("delete"))
                .extracting(Map.Entry::getKey).containsExactlyInAnyOrder("sriovlm.io/sriovmigrations",
                        "sriovlm.io/vfclaims");

        Role lease = rendered.stream().filter(Role.class::isInstance).map(Role.class::cast)
                .filter(r -> r.getMetadata().getName().equals("sriovlm-operator-leader-election")).findFirst()
                .orElseThrow();
        assertThat(lease.getMetadata().getNamespace()).isEqualTo(NAMESPACE);
        assertThat(Manifests.grants(lease.getRules())).isEqualTo(documented("Role `sriovlm-operator-leader-election`"))
                .containsExactly(Map.entry("coordination.k8s.io/leases",
                        Set.of("create", "get", "patch", "update", "list", "watch")));

        Role heartbeat = rendered.stream().filter(Role.class::isInstance).map(Role.class::cast)
                .filter(r -> r.getMetadata().getName().equals("sriovlm-agent-heartbeat")).findFirst()
                .orElseThrow();
        assertThat(heartbeat.getMetadata().getNamespace()).isEqualTo(NAMESPACE);
        assertThat(Manifests.grants(heartbeat.getRules())).isEqualTo(documented("Role `sriovlm-agent-heartbeat`"))
                .containsExactly(Map.entry("coordination.k8s.io/leases", Set.of("get", "create", "update")));

        Role evacuation = rendered.stream().filter(Role.class::isInstance).map(Role.class::cast)
                .filter(r -> r.getMetadata().getName().equals("sriovlm-operator-evacuation")).findFirst()
                .orElseThrow();
        assertThat(evacuation.getMetadata().getNamespace()).isEqualTo(NAMESPACE);
        assertThat(Manifests.grants(evacuation.getRules())).isEqualTo(documented("Role `sriovlm-operator-evacuation`"))
                .containsExactlyInAnyOrderEntriesOf(Map.of(
                        "sriovlm.io/sriovmigrations", Set.of("create"),
                        "pods", Set.of("list", "watch", "create", "delete"),
                        "policy/poddisruptionbudgets", Set.of("list", "watch", "create", "delete")));
    }

    @Test
    void bindingsTieEachRoleToItsOwnServiceAccount() {
        Map<String, String> clusterBindings = rendered.stream().filter(ClusterRoleBinding.class::isInstance)
                .map(ClusterRoleBinding.class::cast).collect(Collectors.toMap(b -> b.getRoleRef().getName(), b -> {
                    assertThat(b.getSubjects()).hasSize(1);
                    assertThat(b.getSubjects().get(0).getKind()).isEqualTo("ServiceAccount");
                    assertThat(b.getSubjects().get(0).getNamespace()).isEqualTo(NAMESPACE);
                    return b.getSubjects().get(0).getName();
                }));
        assertThat(clusterBindings).containsExactlyInAnyOrderEntriesOf(
                Map.of("sriovlm-operator", "sriovlm-operator", "sriovlm-agent", "sriovlm-agent"));
        Map<String, String> bindings = rendered.stream().filter(RoleBinding.class::isInstance)
                .map(RoleBinding.class::cast).collect(Collectors.toMap(b -> b.getRoleRef().getName(), b -> {
                    assertThat(b.getRoleRef().getKind()).isEqualTo("Role");
                    assertThat(b.getSubjects()).singleElement().satisfies(s ->
                            assertThat(s.getNamespace()).isEqualTo(NAMESPACE));
                    return b.getSubjects().get(0).getName();
                }));
        assertThat(bindings).containsExactlyInAnyOrderEntriesOf(Map.of(
                "sriovlm-operator-leader-election", "sriovlm-operator",
                "sriovlm-operator-evacuation", "sriovlm-operator",
                "sriovlm-agent-heartbeat", "sriovlm-agent"));
        assertThat(rendered).filteredOn(o -> o.getKind().equals("ServiceAccount"))
                .extracting(o -> o.getMetadata().getName())
                .containsExactlyInAnyOrder("sriovlm-operator", "sriovlm-agent");
    }

    @Test
    void samplesParseIntoTheApiTypes() {
        SriovMigration move = migration("move-vm-01");
        assertThat(move.getMetadata().getNamespace()).isEqualTo("default");
        assertThat(move.getSpec().vmName).isEqualTo("vm-01");
        assertThat(move.getSpec().targetNode).isEqualTo("hv2");
        assertThat(move.getSpec().vfPool).isEqualTo("pool-a");
        assertThat(move.getSpec().handoff()).isEqualTo(VfHandoff.Explicit);
        assertThat(move.getSpec().options.maxDowntimeMs).isEqualTo(300);
        assertThat(move.getSpec().options.timeoutSeconds).isEqualTo(600);

        SriovMigration auto = samples.stream().filter(o -> o.getKind().equals("SriovMigration"))
                .map(o -> convert(o, SriovMigration.class)).filter(m -> "vm-02".equals(m.getSpec().vmName))
                .findFirst().orElseThrow();
        assertThat(auto.getSpec().targetNode).isNull();

        VfPool pool = convert(sample("VfPool", "pool-a"), VfPool.class);
        assertThat(pool.getSpec().nodeSelector).containsExactly(Map.entry("sriovlm.io/hypervisor", "true"));
        assertThat(pool.getSpec().pfName).isEqualTo("ens2");

        HypervisorNic nic = convert(sample("HypervisorNic", "hv1-ens2"), HypervisorNic.class);
        HypervisorNicSpec spec = nic.getSpec();
        assertThat(spec.nodeName).isEqualTo("hv1");
        assertThat(spec.pf.name).isEqualTo("ens2");
        assertThat(spec.pf.pciAddress).isEqualTo("0000:06:00.0").matches(ApiPatterns.PCI_ADDRESS);
        assertThat(spec.numVfs).isEqualTo(4);
        assertThat(spec.eswitchMode).isEqualTo(HypervisorNicSpec.EswitchMode.switchdev);
        assertThat(spec.hwTcOffload).isTrue();
        assertThat(spec.ovs.bridge).isEqualTo("ovs-sriov");
        assertThat(spec.ovs.uplink).isEqualTo("ens2");
        assertThat(spec.ovs.hwOffload).isTrue();
        assertThat(spec.bonds).hasSize(4);
        for (int n = 0; n < 4; n++) {
            HypervisorNicSpec.BondSpec bond = spec.bonds.get(n);
            assertThat(bond.name).isEqualTo("bond" + n);
            assertThat(bond.sfNetdev).isEqualTo("meth" + n);
            assertThat(bond.sfRepresentor).isEqualTo("en6s0f0pf0sf" + n);
            assertThat(bond.vfRepresentor).isEqualTo("ens2_" + n);
            assertThat(bond.vfIndex).isEqualTo(n);
            assertThat(bond.vlan).isEqualTo(100);
        }
    }

    @Test
    void samplesFitTheCrdSchemasWithNoFieldPrunedOrInvalid() {
        Map<String, JSONSchemaProps> schemas = crds().stream().collect(Collectors.toMap(
                crd -> crd.getSpec().getGroup() + "/" + crd.getSpec().getVersions().get(0).getName() + "/"
                        + crd.getSpec().getNames().getKind(),
                crd -> crd.getSpec().getVersions().get(0).getSchema().getOpenAPIV3Schema()));
        assertThat(samples).hasSize(4).allSatisfy(o -> {
            JSONSchemaProps schema = schemas.get(o.getApiVersion() + "/" + o.getKind());
            assertThat(schema).as("CRD for %s", o.getApiVersion() + "/" + o.getKind()).isNotNull();
            @SuppressWarnings("unchecked")
            Map<String, Object> body = SERIALIZATION.convertValue(o, Map.class);
            List<String> problems = new ArrayList<>();
            check(body.get("spec"), schema.getProperties().get("spec"), "spec", problems);
            assertThat(problems).as("%s %s", o.getKind(), o.getMetadata().getName()).isEmpty();
        });
    }

    // --- rendering and parsing

    private static <T> T convert(HasMetadata o, Class<T> type) {
        return SERIALIZATION.convertValue(o, type);
    }

    private static List<CustomResourceDefinition> crds() {
        return rendered.stream().filter(CustomResourceDefinition.class::isInstance)
                .map(CustomResourceDefinition.class::cast).toList();
    }

    private static Deployment deployment() {
        return rendered.stream().filter(Deployment.class::isInstance).map(Deployment.class::cast)
                .filter(d -> d.getMetadata().getName().equals("sriovlm-operator")).findFirst().orElseThrow();
    }

    private static DaemonSet daemonSet() {
        return rendered.stream().filter(DaemonSet.class::isInstance).map(DaemonSet.class::cast)
                .filter(d -> d.getMetadata().getName().equals("sriovlm-agent")).findFirst().orElseThrow();
    }

    private static ClusterRole clusterRole(String name) {
        return rendered.stream().filter(ClusterRole.class::isInstance).map(ClusterRole.class::cast)
                .filter(r -> r.getMetadata().getName().equals(name)).findFirst().orElseThrow();
    }

    private static HasMetadata sample(String kind, String name) {
        return samples.stream().filter(o -> o.getKind().equals(kind) && o.getMetadata().getName().equals(name))
                .findFirst().orElseThrow(() -> new AssertionError("no sample " + kind + " " + name));
    }

    private static SriovMigration migration(String name) {
        return convert(sample("SriovMigration", name), SriovMigration.class);
    }

    private static Container single(PodSpec pod) {
        assertThat(pod.getContainers()).hasSize(1);
        return pod.getContainers().get(0);
    }

    private static Map<String, String> env(Container c) {
        Map<String, String> env = new LinkedHashMap<>();
        c.getEnv().forEach(e -> env.put(e.getName(), e.getValue()));
        return env;
    }

    private static io.fabric8.kubernetes.api.model.Quantity quantity(String q) {
        return new io.fabric8.kubernetes.api.model.Quantity(q);
    }

    /** The host path of the volume mounted at {@code mountPath}. */
    private static String hostPathMountedAt(PodSpec pod, Container c, String mountPath) {
        VolumeMount mount = c.getVolumeMounts().stream().filter(m -> m.getMountPath().equals(mountPath)).findFirst()
                .orElseThrow(() -> new AssertionError("nothing mounted at " + mountPath));
        Volume volume = pod.getVolumes().stream().filter(v -> v.getName().equals(mount.getName())).findFirst()
                .orElseThrow();
        assertThat(volume.getHostPath()).as("volume %s", volume.getName()).isNotNull();
        return volume.getHostPath().getPath();
    }


    /** The table under the docs/rbac.md heading that names {@code role}: API group | resource | verbs | ... */
    private static Map<String, Set<String>> documented(String role) {
        List<String> lines;
        try {
            lines = Files.readAllLines(Path.of("docs", "rbac.md"));
        } catch (IOException e) {
            throw new AssertionError("docs/rbac.md is missing", e);
        }
        int heading = -1;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith("#") && lines.get(i).contains(role)) {
                heading = i;
                break;
            }
        }
        assertThat(heading).as("a heading naming %s in docs/rbac.md", role).isNotNegative();
        Map<String, Set<String>> grants = new TreeMap<>();
        boolean inTable = false;
        for (int i = heading + 1; i < lines.size() && !lines.get(i).startsWith("#"); i++) {
            String line = lines.get(i).trim();
            if (!line.startsWith("|")) {
                if (inTable) {
                    break;
                }
                continue;
            }
            inTable = true;
            String[] cells = Arrays.stream(line.substring(1).split("\\|")).map(String::trim).toArray(String[]::new);
            if (cells[0].equals("API group") || cells[0].startsWith("---")) {
                continue;
            }
            String group = cells[0].replace("`", "");
            String resource = cells[1].replace("`", "");
            Set<String> verbs = Arrays.stream(cells[2].split(",")).map(String::trim).collect(Collectors.toCollection(TreeSet::new));
            grants.computeIfAbsent(group.equals("core") ? resource : group + "/" + resource, k -> new TreeSet<>())
                    .addAll(verbs);
        }
        assertThat(grants).as("rows of the %s table in docs/rbac.md", role).isNotEmpty();
        return grants;
    }

    // --- a structural-schema walk: unknown (pruned) fields, types, enums, patterns, bounds, required

    private static void check(Object value, JSONSchemaProps schema, String path, List<String> problems) {
        if (schema == null) {
            problems.add(path + ": not in the schema (the API server would prune it)");
            return;
        }
        String type = schema.getType();
        if (value instanceof Map<?, ?> map) {
            if (type != null && !type.equals("object")) {
                problems.add(path + ": object where the schema wants " + type);
                return;
            }
            if (schema.getRequired() != null) {
                schema.getRequired().stream().filter(r -> !map.containsKey(r))
                        .forEach(r -> problems.add(path + "." + r + ": required"));
            }
            for (Map.Entry<?, ?> e : map.entrySet()) {
                String key = String.valueOf(e.getKey());
                JSONSchemaProps child = schema.getProperties() == null ? null : schema.getProperties().get(key);
                if (child == null && schema.getAdditionalProperties() != null) {
                    child = schema.getAdditionalProperties().getSchema();
                    if (child == null && Boolean.TRUE.equals(schema.getAdditionalProperties().getAllows())) {
                        continue;
                    }
                }
                check(e.getValue(), child, path + "." + key, problems);
            }
        } else if (value instanceof List<?> list) {
            if (!"array".equals(type)) {
                problems.add(path + ": array where the schema wants " + type);
                return;
            }
            for (int i = 0; i < list.size(); i++) {
                check(list.get(i), schema.getItems().getSchema(), path + "[" + i + "]", problems);
            }
        } else if (value instanceof String s) {
            if (!"string".equals(type)) {
                problems.add(path + ": string where the schema wants " + type);
                return;
            }
            if (schema.getPattern() != null && !Pattern.compile(schema.getPattern()).matcher(s).find()) {
                problems.add(path + ": " + s + " does not match " + schema.getPattern());
            }
            if (schema.getEnum() != null && !schema.getEnum().isEmpty() && schema.getEnum().stream().noneMatch(e -> s.equals(e.asText()))) {
                problems.add(path + ": " + s + " not in " + schema.getEnum());
            }
        } else if (value instanceof Number n) {
            if (!"integer".equals(type) && !"number".equals(type)) {
                problems.add(path + ": number where the schema wants " + type);
                return;
            }
            if (schema.getMinimum() != null && n.doubleValue() < schema.getMinimum()) {
                problems.add(path + ": " + n + " below " + schema.getMinimum());
            }
            if (schema.getMaximum() != null && n.doubleValue() > schema.getMaximum()) {
                problems.add(path + ": " + n + " above " + schema.getMaximum());
            }
        } else if (value instanceof Boolean) {
            if (!"boolean".equals(type)) {
                problems.add(path + ": boolean where the schema wants " + type);
            }
        }
    }
}
