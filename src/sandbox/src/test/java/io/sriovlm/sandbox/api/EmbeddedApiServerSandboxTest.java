package io.sriovlm.sandbox.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.sriovlm.api.v1alpha1.MigrationPhase;
import io.sriovlm.api.v1alpha1.SriovMigration;
import io.sriovlm.api.v1alpha1.SriovMigrationSpec;
import io.sriovlm.api.v1alpha1.SriovMigrationStatus;

class EmbeddedApiServerSandboxTest {
    static EmbeddedApiServer server;
    static KubernetesClient client;
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() {
        server = EmbeddedApiServer.start("127.0.0.1", 0, SandboxCrds.load());
        client = server.client();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static SriovMigration migration(String name, String vm) {
        SriovMigration m = new SriovMigration();
        m.getMetadata().setName(name);
        m.getMetadata().setNamespace("default");
        SriovMigrationSpec spec = new SriovMigrationSpec();
        spec.vmName = vm;
        m.setSpec(spec);
        return m;
    }

    static SriovMigration create(String name) {
        return client.resources(SriovMigration.class).inNamespace("default").resource(migration(name, "vm-01")).create();
    }

    static SriovMigration withPhase(SriovMigration m, MigrationPhase phase) {
        SriovMigrationStatus st = new SriovMigrationStatus();
        st.phase = phase;
        m.setStatus(st);
        return m;
    }

    static HttpResponse<String> raw(String method, String path, String contentType, String body)
            throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create(server.url() + path)).header("Content-Type", contentType)
                .method(method, HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void staleResourceVersionOnStatusIsConflict() {
        SriovMigration m = create("stale-status");
        SriovMigration fresh = client.resource(withPhase(m, MigrationPhase.Scheduling)).updateStatus();
        assertThat(fresh.getMetadata().getResourceVersion()).isNotEqualTo(m.getMetadata().getResourceVersion());

        withPhase(m, MigrationPhase.Failed); // m still carries the old resourceVersion
        assertThatThrownBy(() -> client.resource(m).updateStatus())
                .isInstanceOfSatisfying(KubernetesClientException.class, e -> {
                    assertThat(e.getCode()).isEqualTo(409);
                    assertThat(e.getStatus().getReason()).isEqualTo("Conflict");
                    assertThat(e.getStatus().getMessage()).isEqualTo("Operation cannot be fulfilled on "
                            + "sriovmigrations.sriovlm.io \"stale-status\": the object has been modified; please apply "
                            + "your changes to the latest version and try again");
                });
        // a JSON merge patch to /status carrying the stale rv is refused too
        assertThatThrownBy(() -> client.resource(m).patchStatus()).isInstanceOfSatisfying(
                KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(409));
        assertThat(client.resource(m).get().getStatus().phase).isEqualTo(MigrationPhase.Scheduling);
    }

    @Test
    void mainResourcePutIsCheckedToo() throws Exception {
        SriovMigration m = create("stale-main");
        m.getSpec().vfPool = "pool-a";
        SriovMigration updated = client.resource(m).update();
        assertThat(updated.getMetadata().getGeneration()).isEqualTo(2L);
        assertThatThrownBy(() -> client.resource(m).update()).isInstanceOfSatisfying(KubernetesClientException.class,
                e -> assertThat(e.getCode()).isEqualTo(409));

        HttpResponse<String> r = raw("PUT", "/apis/sriovlm.io/v1alpha1/namespaces/default/sriovmigrations/stale-main",
                "application/json", "{\"apiVersion\":\"sriovlm.io/v1alpha1\",\"kind\":\"SriovMigration\","
                        + "\"metadata\":{\"name\":\"stale-main\",\"namespace\":\"default\"},\"spec\":{\"vmName\":\"vm-02\"}}");
        assertThat(r.statusCode()).isEqualTo(422);
        assertThat(r.body()).contains("metadata.resourceVersion: Invalid value: 0x0: must be specified for an update");
    }

    @Test
    void statusWriteBumpsResourceVersionButNotGeneration() {
        SriovMigration m = create("gen");
        assertThat(m.getMetadata().getGeneration()).isEqualTo(1L);
        SriovMigration s1 = client.resource(withPhase(m, MigrationPhase.Scheduling)).updateStatus();
        SriovMigration s2 = client.resource(withPhase(s1, MigrationPhase.Preparing)).patchStatus();
        assertThat(s2.getMetadata().getGeneration()).isEqualTo(1L);
        assertThat(Long.parseLong(s2.getMetadata().getResourceVersion()))
                .isGreaterThan(Long.parseLong(s1.getMetadata().getResourceVersion()))
                .isGreaterThan(Long.parseLong(m.getMetadata().getResourceVersion()));
        SriovMigration stored = client.resource(m).get();
        assertThat(stored.getStatus().phase).isEqualTo(MigrationPhase.Preparing);
        assertThat(stored.getMetadata().getGeneration()).isEqualTo(1L);
    }

    @Test
    void concurrentStatusWritersFromTheSameVersionOneWins() throws Exception {
        SriovMigration base = create("race");
        for (int round = 0; round < 5; round++) {
            SriovMigration start = client.resource(base).get();
            CyclicBarrier barrier = new CyclicBarrier(2);
            ExecutorService pool = Executors.newFixedThreadPool(2);
            List<Future<Integer>> results = new ArrayList<>();
            try (KubernetesClient c1 = server.newClient(); KubernetesClient c2 = server.newClient()) {
                for (KubernetesClient c : List.of(c1, c2)) {
                    // distinct content: a no-op write keeps the resourceVersion and would succeed twice, as on a real server
                    SriovMigration mine = withPhase(client.getKubernetesSerialization().clone(start), MigrationPhase.Scheduling);
                    mine.getStatus().message = "writer " + results.size() + " round " + round;
                    Callable<Integer> writer = () -> {
                        barrier.await();
                        try {
                            c.resource(mine).updateStatus();
                            return 200;
                        } catch (KubernetesClientException e) {
                            return e.getCode();
                        }
                    };
                    results.add(pool.submit(writer));
                }
                List<Integer> codes = new ArrayList<>();
                for (Future<Integer> f : results) {
                    codes.add(f.get());
                }
                assertThat(codes).containsExactlyInAnyOrder(200, 409);
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void schemaViolationIsInvalidWithTheApiServersMessage() {
        assertThatThrownBy(() -> client.resource(migration("bad", "a b")).create())
                .isInstanceOfSatisfying(KubernetesClientException.class, e -> {
                    assertThat(e.getCode()).isEqualTo(422);
                    assertThat(e.getStatus().getReason()).isEqualTo("Invalid");
                    assertThat(e.getStatus().getMessage()).isEqualTo("SriovMigration.sriovlm.io \"bad\" is invalid: "
                            + "spec.vmName: Invalid value: \"a b\": spec.vmName in body should match "
                            + "'^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'");
                    assertThat(e.getStatus().getDetails().getCauses()).singleElement()
                            .satisfies(c -> assertThat(c.getField()).isEqualTo("spec.vmName"));
                });
    }

    @Test
    void schemaChecksEnumRangeRequiredAndPrunesUnknownFields() throws Exception {
        String path = "/apis/sriovlm.io/v1alpha1/namespaces/default/sriovmigrations";
        HttpResponse<String> r = raw("POST", path, "application/json", "{\"apiVersion\":\"sriovlm.io/v1alpha1\","
                + "\"kind\":\"SriovMigration\",\"metadata\":{\"name\":\"many\"},\"spec\":{\"vfHandoff\":\"Magic\","
                + "\"options\":{\"maxDowntimeMs\":0,\"timeoutSeconds\":\"x\"}}}");
        assertThat(r.statusCode()).isEqualTo(422);
        assertThat(r.body()).contains("spec.vfHandoff: Unsupported value: \\\"Magic\\\": supported values: "
                + "\\\"Automatic\\\", \\\"Explicit\\\"")
                .contains("spec.options.maxDowntimeMs: Invalid value: 0: spec.options.maxDowntimeMs in body should be "
                        + "greater than or equal to 1")
                .contains("spec.options.timeoutSeconds: Invalid value: \\\"string\\\": spec.options.timeoutSeconds in "
                        + "body must be of type integer: \\\"string\\\"")
                .contains("spec.vmName: Required value");

        r = raw("POST", path, "application/json", "{\"apiVersion\":\"sriovlm.io/v1alpha1\",\"kind\":\"SriovMigration\","
                + "\"metadata\":{\"name\":\"pruned\"},\"spec\":{\"vmName\":\"vm-1\",\"bogus\":1}}");
        assertThat(r.statusCode()).isEqualTo(201);
        SriovMigration stored = client.resources(SriovMigration.class).withName("pruned").get();
        assertThat(client.getKubernetesSerialization().asJson(stored)).doesNotContain("bogus");
        assertThat(stored.getSpec().vfHandoff).hasToString("Explicit"); // defaulted

        r = raw("POST", path + "?fieldValidation=Strict", "application/json", "{\"apiVersion\":\"sriovlm.io/v1alpha1\","
                + "\"kind\":\"SriovMigration\",\"metadata\":{\"name\":\"strict\"},\"spec\":{\"vmName\":\"vm-1\",\"bogus\":1}}");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.body()).contains("strict decoding error: unknown field \\\"spec.bogus\\\"");

        // a patch is validated on its result
        r = raw("PATCH", path + "/pruned", "application/merge-patch+json", "{\"spec\":{\"targetNode\":\"Not_A_Node\"}}");
        assertThat(r.statusCode()).isEqualTo(422);
        r = raw("PATCH", path + "/pruned", "application/json-patch+json",
                "[{\"op\":\"replace\",\"path\":\"/spec/vmName\",\"value\":\"-x\"}]");
        assertThat(r.statusCode()).isEqualTo(422);
        assertThat(r.body()).contains("spec.vmName in body should match");
    }

    @Test
    void celTransitionRuleFreezesTheSpecOnceStartedButAllowsCancel() {
        SriovMigration m = create("frozen");
        m.getSpec().targetNode = "hv3"; // still Pending (no status): spec may change
        m = client.resource(m).update();
        m = client.resource(withPhase(m, MigrationPhase.Migrating)).updateStatus();

        SriovMigration changed = client.getKubernetesSerialization().clone(m);
        changed.getSpec().targetNode = "hv9";
        assertThatThrownBy(() -> client.resource(changed).update())
                .isInstanceOfSatisfying(KubernetesClientException.class, e -> {
                    assertThat(e.getCode()).isEqualTo(422);
                    assertThat(e.getStatus().getMessage()).startsWith("SriovMigration.sriovlm.io \"frozen\" is invalid: "
                            + "<nil>: Forbidden: spec is immutable once the migration has started");
                    assertThat(e.getStatus().getDetails().getCauses().get(0).getReason())
                            .isEqualTo("FieldValueForbidden");
                });

        SriovMigration cancel = client.getKubernetesSerialization().clone(m);
        cancel.getSpec().cancel = true;
        SriovMigration cancelled = client.resource(cancel).update();
        assertThat(cancelled.getSpec().cancel).isTrue();
        assertThat(cancelled.getMetadata().getGeneration()).isEqualTo(3L);
    }

    @Test
    void watchesStillWorkThroughTheStrictLayer() throws Exception {
        List<String> events = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (KubernetesClient c = server.newClient();
                io.fabric8.kubernetes.client.Watch w = c.resources(SriovMigration.class).inNamespace("default")
                        .withName("watched").watch(new io.fabric8.kubernetes.client.Watcher<>() {
                            @Override
                            public void eventReceived(Action action, SriovMigration m) {
                                events.add(action + ":" + (m.getStatus() == null ? null : m.getStatus().phase));
                            }

                            @Override
                            public void onClose(io.fabric8.kubernetes.client.WatcherException e) {
                            }
                        })) {
            SriovMigration m = create("watched");
            client.resource(withPhase(m, MigrationPhase.Scheduling)).updateStatus();
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5))
                    .until(() -> events.contains("MODIFIED:Scheduling"));
            assertThat(events).startsWith("ADDED:null");
        }
    }

    @Test
    void aWatchStartedAfterItsListHearsOfTheDeletionsInBetween() throws Exception {
        create("gone-before-watch");
        create("back-before-watch");
        String listedAt = client.resources(SriovMigration.class).inNamespace("default").list().getMetadata()
                .getResourceVersion();
        // Between an informer's list and its watch: one object deleted, another deleted and created again.
        client.resources(SriovMigration.class).inNamespace("default").withName("gone-before-watch").delete();
        client.resources(SriovMigration.class).inNamespace("default").withName("back-before-watch").delete();
        create("back-before-watch");

        List<String> events = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<String> fromNow = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<String> ofAnother = new java.util.concurrent.CopyOnWriteArrayList<>();
        var listed = new io.fabric8.kubernetes.api.model.ListOptionsBuilder().withResourceVersion(listedAt).build();
        try (KubernetesClient c = server.newClient();
                io.fabric8.kubernetes.client.Watch w = c.resources(SriovMigration.class).inNamespace("default")
                        .watch(listed, recorder(events));
                io.fabric8.kubernetes.client.Watch present = c.resources(SriovMigration.class).inNamespace("default")
                        .watch(recorder(fromNow));
                io.fabric8.kubernetes.client.Watch named = c.resources(SriovMigration.class).inNamespace("default")
                        .withName("back-before-watch").watch(listed, recorder(ofAnother))) {
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5))
                    .until(() -> events.contains("DELETED:gone-before-watch") && ofAnother.contains("ADDED:back-before-watch"));
            assertThat(events).as("what a real API server replays from the list's resourceVersion")
                    .contains("ADDED:back-before-watch").doesNotContain("DELETED:back-before-watch");
            assertThat(fromNow).as("a watch without a resourceVersion starts at the present")
                    .doesNotContain("DELETED:gone-before-watch");
            assertThat(ofAnother).as("a watch of one object hears of that one only")
                    .doesNotContain("DELETED:gone-before-watch");
        }
    }

    private static io.fabric8.kubernetes.client.Watcher<SriovMigration> recorder(List<String> events) {
        return new io.fabric8.kubernetes.client.Watcher<>() {
            @Override
            public void eventReceived(Action action, SriovMigration m) {
                events.add(action + ":" + m.getMetadata().getName());
            }

            @Override
            public void onClose(io.fabric8.kubernetes.client.WatcherException e) {
            }
        };
    }

    @Test
    void nonResourcePathsAndDiscovery() throws Exception {
        assertThat(raw("GET", "/healthz", "application/json", "").statusCode()).isEqualTo(404);
        HttpResponse<String> v = raw("GET", "/version?timeout=32s", "application/json", "");
        assertThat(v.body()).contains("\"gitVersion\":\"v1.32.");
        HttpResponse<String> d = raw("GET", "/apis/sriovlm.io/v1alpha1?timeout=32s", "application/json", "");
        assertThat(d.body()).contains("\"APIResourceList\"").contains("\"sriovmigrations/status\"")
                .contains("\"shortNames\":[\"sm\",\"srmig\"]");
        assertThat(client.getKubernetesVersion().getMinor()).isEqualTo("32");
    }
}
