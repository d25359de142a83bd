package io.sriovlm.sandbox;

import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Sandbox tier: no informer of the operator or the agents has JOSDK keep its primary-to-secondary index, which
 * only grows when a secondary maps to primaries that come and go (every node's NIC and Lease to the migrations in
 * flight): 45 MB after 400 migrations on 1,000 nodes, growing with every migration (docs/benchmarks.md). The
 * product reads its caches itself.
 */
@Tag("sandbox")
class InformerIndexSandboxTest {

    @RegisterExtension
    static final SandboxExtension world = SandboxExtension.perClass(Duration.ofMillis(200));

    @Test
    void everyInformerOfTheOperatorAndTheAgentsNamesAPrimaryToSecondaryMapper() {
        Map<String, List<EventSource<?, ?>>> sources = world.sandbox().eventSourcesByController();
        List<String> checked = new ArrayList<>();
        List<String> indexed = new ArrayList<>();
        sources.forEach((controller, list) -> list.stream().filter(InformerEventSource.class::isInstance)
                .forEach(source -> {
                    InformerEventSource<?, ?> informer = (InformerEventSource<?, ?>) source;
                    String name = controller + "/" + informer.name();
                    checked.add(name);
                    if (informer.configuration().getPrimaryToSecondaryMapper() == null) {
                        indexed.add(name);
                    }
                }));
        assertThat(sources.keySet()).as("the operator's controllers and the agents' are all in view")
                .contains("sriovmigration", "vfpool", "hypervisornic", "hypervisornic-reporter");
        // The operator's shared informers (SharedInformerSandboxTest) are not JOSDK's and keep no such index.
        assertThat(checked).as("the informers the product registers beside its primaries").hasSizeGreaterThanOrEqualTo(6);
        assertThat(indexed).as("informers for which JOSDK keeps a primary-to-secondary index").isEmpty();
    }
}
