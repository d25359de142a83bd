package io.sriovlm.operator.reconciler;

import io.fabric8.kubernetes.client.KubernetesClientException;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;

import static org.assertj.core.api.Assertions.assertThat;

/** Unit tier: which failures of the operator's requests hold phase deadlines, and until when. */
class ApiTroubleTest {
    private static final Instant T = Instant.parse("2026-12-06T18:01:30Z");
    private static final Duration GRACE = Duration.ofSeconds(30);

    @Test
    void noAnswerAndServerErrorsAreTroubleRefusalsAreNot() {
        assertThat(ApiTrouble.unavailable(new KubernetesClientException("timeout", new java.io.IOException())
                .getCode())).as("no HTTP answer").isTrue();
        assertThat(ApiTrouble.unavailable(429)).isTrue();
        assertThat(ApiTrouble.unavailable(500)).isTrue();
        assertThat(ApiTrouble.unavailable(503)).isTrue();
        assertThat(ApiTrouble.unavailable(409)).isFalse();
        assertThat(ApiTrouble.unavailable(403)).isFalse();
        assertThat(ApiTrouble.unavailable(422)).isFalse();
    }

    @Test
    void deadlinesAreJudgedGraceAfterTheLastTrouble() {
        ApiTrouble trouble = new ApiTrouble(null, Clock.fixed(T, ZoneOffset.UTC));
        assertThat(trouble.deadlinesJudgedFrom(GRACE)).isNull();
        assertThat(trouble.record(new KubernetesClientException("forbidden", 403, null))).isFalse();
        assertThat(trouble.deadlinesJudgedFrom(GRACE)).isNull();
        assertThat(trouble.within(GRACE)).isFalse();
        assertThat(trouble.record(new KubernetesClientException("down", 503, null))).isTrue();
        assertThat(trouble.deadlinesJudgedFrom(GRACE)).isEqualTo(T.plus(GRACE));
        assertThat(trouble.within(GRACE)).isTrue();
    }
}
