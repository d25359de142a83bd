package io.sriovlm.settings;

import com.marcnuri.helm.Helm;
import io.smallrye.config.EnvConfigSource;
import io.smallrye.config.SmallRyeConfigBuilder;
import io.smallrye.config.WithDefault;
import io.sriovlm.agent.AgentConfig;
import io.sriovlm.agent.AgentSettings;
import io.sriovlm.operator.EvacuationConfig;
import io.sriovlm.operator.HistoryConfig;
import io.sriovlm.operator.OperatorConfig;
import io.sriovlm.operator.OperatorSettings;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Each role's settings have their defaults written once, in the mapping interfaces: the code's configuration records
 * read them from there, the chart sets them by name (operator.settings / agent.settings become SRIOVLM_* variables
 * the mappings read), and docs/install.md lists them, generated from the interfaces (regenerate with
 * {@code mvn -o -pl src/product test -Dtest=SettingsTest -Dsriovlm.update-docs=true}).
 */
class SettingsTest {
    static final Path INSTALL = Path.of("docs", "install.md");
    static final String BEGIN = "<!-- settings: generated from OperatorSettings and AgentSettings by SettingsTest; do not"
            + " edit -->";
    static final String END = "<!-- settings: end -->";

    @Test
    void theConfigurationRecordsTakeTheMappingsDefaults() {
        OperatorSettings o = OperatorSettings.defaults();
        assertThat(OperatorConfig.defaults()).isEqualTo(new OperatorConfig(o.maxInFlight(), o.maxOutboundPerNode(),
                o.maxInboundPerNode(), o.heartbeatStaleAfter(), new HistoryConfig(5, java.util.Optional.empty()), true,
                "sriovlm-system"));
        assertThat(EvacuationConfig.defaults().namespace()).isEqualTo("sriovlm-system");
        assertThat(EvacuationConfig.defaults().migrationOptions()).isNull();
        assertThat(o.leaseNamespace()).as("no leader election outside a cluster").isEmpty();
        AgentConfig agent = AgentConfig.defaults("hv1", "qemu+tls://hv1/system");
        assertThat(agent.heartbeatInterval()).isEqualTo(AgentSettings.defaults().heartbeatInterval())
                .isEqualTo(Duration.ofSeconds(10));
        assertThat(agent.leaseNamespace()).as("the agents' Leases are where the operator reads them")
                .isEqualTo(OperatorConfig.defaults().agentLeaseNamespace()).isEqualTo("sriovlm-system");
    }

    @Test
    void thePodNamespaceAndNodeNameComeFromTheDownwardApiVariables() {
        var config = configFrom(Map.of("POD_NAMESPACE", "infra", "NODE_NAME", "hv7"));
        OperatorSettings o = config.getConfigMapping(OperatorSettings.class);
        assertThat(o.evacuationNamespace()).isEqualTo("infra");
        assertThat(o.leaseNamespace()).contains("infra");
        assertThat(config.getConfigMapping(AgentSettings.class).nodeName()).contains("hv7");
    }

    @Test
    void everySettingTheChartSetsReachesItsMapping() {
        String rendered = new Helm(Path.of("charts", "sriovlm")).template().withName("sriovlm")
                .withNamespace("sriovlm-system").set("operator.settings.maxInFlight", "7")
                .set("operator.settings.evacuationStepTimeoutSeconds", "9")
                .set("agent.settings.heartbeatInterval", "3s").call();
        assertThat(rendered).contains("name: SRIOVLM_OPERATOR_MAX_IN_FLIGHT", "value: \"7\"",
                "name: SRIOVLM_OPERATOR_EVACUATION_STEP_TIMEOUT_SECONDS", "value: \"9\"",
                "name: SRIOVLM_AGENT_HEARTBEAT_INTERVAL", "value: \"3s\"");
        var config = configFrom(Map.of("SRIOVLM_OPERATOR_MAX_IN_FLIGHT", "7",
                "SRIOVLM_OPERATOR_EVACUATION_STEP_TIMEOUT_SECONDS", "9", "SRIOVLM_AGENT_HEARTBEAT_INTERVAL", "3s"));
        assertThat(config.getConfigMapping(OperatorSettings.class).maxInFlight()).isEqualTo(7);
        assertThat(config.getConfigMapping(OperatorSettings.class).evacuation().migrationOptions().stepTimeoutSeconds)
                .isEqualTo(9);
        assertThat(config.getConfigMapping(AgentSettings.class).heartbeatInterval()).isEqualTo(Duration.ofSeconds(3));
    }

    /** The two mappings over these environment variables, as Quarkus reads them (its Duration converter). */
    private static io.smallrye.config.SmallRyeConfig configFrom(Map<String, String> env) {
        return new SmallRyeConfigBuilder().addDefaultInterceptors().withConverter(Duration.class, 200,
                new io.quarkus.runtime.configuration.DurationConverter()).withMapping(OperatorSettings.class)
                .withMapping(AgentSettings.class).withSources(new EnvConfigSource(env, 300)).build();
    }

    @Test
    void installMdListsEverySettingWithItsDefault() throws IOException {
        String doc = Files.readString(INSTALL);
        assertThat(doc).as("docs/install.md has the generated settings table").contains(BEGIN, END);
        String generated = doc.substring(0, doc.indexOf(BEGIN)) + table() + doc.substring(doc.indexOf(END));
        if (Boolean.getBoolean("sriovlm.update-docs")) {
            Files.writeString(INSTALL, generated);
        }
        assertThat(doc).as("the settings table of docs/install.md is stale; run mvn -o -pl src/product test"
                + " -Dtest=SettingsTest -Dsriovlm.update-docs=true").isEqualTo(generated);
    }

    static String table() {
        StringBuilder md = new StringBuilder(BEGIN).append("\n| setting | environment variable | chart | default |\n")
                .append("|---|---|---|---|\n");
        rows(md, OperatorSettings.class, "sriovlm.operator", "operator");
        rows(md, AgentSettings.class, "sriovlm.agent", "agent");
        return md.toString();
    }

    private static void rows(StringBuilder md, Class<?> mapping, String prefix, String chart) {
        List<Method> settings = Arrays.stream(mapping.getDeclaredMethods())
                .filter(m -> m.getParameterCount() == 0 && !m.isDefault()
                        && !java.lang.reflect.Modifier.isStatic(m.getModifiers()))
                .sorted(Comparator.comparing(Method::getName)).toList();
        for (Method m : settings) {
            String kebab = m.getName().replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(java.util.Locale.ROOT);
            String env = (prefix + "." + kebab).replaceAll("[.-]", "_").toUpperCase(java.util.Locale.ROOT);
            WithDefault d = m.getAnnotation(WithDefault.class);
            md.append("| `").append(prefix).append('.').append(kebab).append("` | `").append(env).append("` | `")
                    .append(chart).append(".settings.").append(m.getName()).append("` | ")
                    .append(d == null ? "unset" : "`" + d.value() + "`").append(" |\n");
        }
    }
}
