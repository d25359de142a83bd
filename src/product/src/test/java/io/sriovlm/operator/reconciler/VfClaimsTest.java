package io.sriovlm.operator.reconciler;

import io.fabric8.kubernetes.client.utils.Serialization;
import io.sriovlm.api.v1alpha1.VfClaim;
import io.sriovlm.api.v1alpha1.VfClaimSpec;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** Unit tier: the claims a controller decides on are the informer's, with this process's own writes laid over them. */
class VfClaimsTest {
    private final VfClaims claims = new VfClaims(null, Clock.fixed(Instant.parse("2026-12-05T10:00:00Z"), ZoneOffset.UTC));

    @Test
    void aClaimThisProcessDeletedStaysOutOfViewUntilTheInformerCatchesUp() {
        VfClaim handedOver = claim("uid-1", "10", VfClaimSpec.State.HandedOver);
        claims.rememberDeletion(handedOver);

        assertThat(claims.view(Stream.of(handedOver))).as("the informer still shows it").isEmpty();
        assertThat(claims.view(Stream.empty())).isEmpty();
    }

    @Test
    void aHandOverRecordedAfterTheClaimsDeletionDoesNotBringItBack() {
        // The pool controller deleted the claim the moment the migration controller's hand-over landed, before that
        // thread recorded its write.
        VfClaim handedOver = claim("uid-1", "10", VfClaimSpec.State.HandedOver);
        claims.rememberDeletion(handedOver);
        claims.remember(handedOver);

        assertThat(claims.view(Stream.of(handedOver))).as("the informer has not shown the deletion yet").isEmpty();
        assertThat(claims.view(Stream.empty())).as("it has").isEmpty();
    }

    @Test
    void anOlderVersionRecordedLateDoesNotHideTheNewerOne() {
        VfClaim reserved = claim("uid-1", "9", VfClaimSpec.State.Reserved);
        VfClaim handedOver = claim("uid-1", "10", VfClaimSpec.State.HandedOver);
        claims.remember(handedOver);
        claims.remember(reserved);

        assertThat(claims.view(Stream.of(reserved))).extracting(c -> c.getSpec().state)
                .containsExactly(VfClaimSpec.State.HandedOver);
    }

    @Test
    void aNewClaimForTheSameVfReplacesTheDeletionOfTheOldOne() {
        claims.rememberDeletion(claim("uid-1", "10", VfClaimSpec.State.HandedOver));
        VfClaim next = claim("uid-2", "12", VfClaimSpec.State.Reserved);
        claims.remember(next);

        assertThat(claims.view(Stream.empty())).extracting(c -> c.getMetadata().getUid()).containsExactly("uid-2");
    }

    private static VfClaim claim(String uid, String resourceVersion, VfClaimSpec.State state) {
        VfClaimSpec spec = new VfClaimSpec();
        spec.node = "hv2";
        spec.pciAddress = "0000:06:00.1";
        spec.pool = "pool-a";
        spec.vm = "vm-01";
        spec.migration = "default/m";
        spec.migrationUid = "m-" + uid;
        spec.state = state;
        VfClaim claim = Serialization.clone(VfClaim.of(spec));
        claim.getMetadata().setUid(uid);
        claim.getMetadata().setResourceVersion(resourceVersion);
        return claim;
    }
}
