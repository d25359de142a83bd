package io.sriovlm.sandbox;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Sandbox tier: the operator opens one watch per kind its controllers share, beside those on its controllers' own
 * primaries, whatever the number of controllers that read the kind. Four controllers each watching every
 * HypervisorNic, Node and agent Lease deserialized every NIC report four times: most of the operator's CPU at
 * 1,000 nodes (docs/decisions/027-shared-informers.md).
 */
@Tag("sandbox")
class SharedInformerSandboxTest {
    private static final List<String> KINDS = List.of("hypervisornics", "vminventories", "nodes", "leases", "vfclaims",
            "vfpools");

    @RegisterExtension
    static final SandboxExtension world = SandboxExtension.perClass(Duration.ofMillis(200));

    @Test
    void theOperatorWatchesEachSharedKindOnceAndAgainAfterARestart() {
        Sandbox sandbox = world.sandbox();
        Map<String, Integer> withOperator = settledWatches(sandbox, Map.of());
        sandbox.stopOperator();
        Map<String, Integer> withoutOperator = settledWatches(sandbox, withOperator);
        Map<String, Integer> operators = new LinkedHashMap<>();
        KINDS.forEach(kind -> operators.put(kind, withOperator.get(kind) - withoutOperator.get(kind)));

        // HypervisorNic: the NIC controller's primaries and the shared informer; Node: the evacuation controller's
        // primaries and the shared one; VfPool: the pool controller's primaries and the shared one (which the
        // migration controller reads). VmInventory: the shared one only.
        assertThat(operators).as("watches the operator opens, by kind").containsExactlyInAnyOrderEntriesOf(Map.of(
                "hypervisornics", 2, "vminventories", 1, "nodes", 2, "leases", 1, "vfclaims", 1, "vfpools", 2));
        assertThat(withoutOperator.get("vminventories")).as("the agents keep their inventory without a watch")
                .isZero();

        sandbox.restartOperator();
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(openWatches(sandbox))
                .as("a restarted operator opens the same watches, once").isEqualTo(withOperator));
    }

    private static Map<String, Integer> openWatches(Sandbox sandbox) {
        Map<String, Integer> open = new LinkedHashMap<>();
        KINDS.forEach(kind -> open.put(kind, sandbox.api().faults().openWatches(kind)));
        return open;
    }

    /** The open watches once they have not changed for a second (and differ from {@code before}, if given). */
    private static Map<String, Integer> settledWatches(Sandbox sandbox, Map<String, Integer> before) {
        Map<String, Integer>[] last = new Map[] { openWatches(sandbox) };
        long[] since = { System.nanoTime() };
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100)).until(() -> {
            Map<String, Integer> now = openWatches(sandbox);
            if (!now.equals(last[0]) || now.equals(before)) {
                last[0] = now;
                since[0] = System.nanoTime();
                return false;
            }
            return System.nanoTime() - since[0] > 1_000_000_000L;
        });
        return last[0];
    }
}
