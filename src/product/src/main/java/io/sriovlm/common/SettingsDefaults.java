package io.sriovlm.common;

import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.SmallRyeConfigBuilder;

import java.time.Duration;

/**
 * A role's settings at their defaults, read without Quarkus' configuration (the sandbox, unit tests): the mapping's
 * own {@code @WithDefault} values, converted as Quarkus converts them ("30s" is a Duration), no source read, not even
 * the environment.
 */
public final class SettingsDefaults {
    private SettingsDefaults() {
    }

    public static <T> T of(Class<T> mapping) {
        return new SmallRyeConfigBuilder().addDefaultInterceptors().withConverter(Duration.class, 200, new DurationConverter())
                .withMapping(mapping).build().getConfigMapping(mapping);
    }
}
