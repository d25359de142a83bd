package io.sriovlm.operator.reconciler;

import io.sriovlm.api.v1alpha1.SriovMigration;
import io.sriovlm.api.v1alpha1.VfClaim;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * Admission decisions taken under the admission lock whose writes are still on their way (the scheduler's "assume"
 * cache, docs/decisions/025-assumed-admissions.md): the migration as it will be written and the VfClaim it will
 * create, shown in every view from the moment of the decision, so that the next admission decides on them without
 * waiting for the API. An assumption is dropped once its writes have landed (the writers' records of their own writes
 * show them from then on) or failed (the decision is taken again). Assumptions only ever make other decisions more
 * careful (a VF taken, a slot held), so dropping one that did not land is safe.
 */
final class Assumptions {
    /** By migration UID. */
    private final Map<String, SriovMigration> migrations = new ConcurrentHashMap<>();
    /** By claim name (the VF's). */
    private final Map<String, VfClaim> claims = new ConcurrentHashMap<>();

    /** One decision's assumptions, to drop when its writes are done. */
    record Assumed(SriovMigration migration, Optional<VfClaim> claim) {
    }

    /**
     * @param expected the migration as its status write will leave it
     * @param claim    the claim the decision creates, if it reserves a VF
     */
    Assumed assume(SriovMigration expected, Optional<VfClaim> claim) {
        migrations.put(expected.getMetadata().getUid(), expected);
        claim.ifPresent(c -> claims.put(c.getMetadata().getName(), c));
        return new Assumed(expected, claim);
    }

    /** Forgets the decision's assumptions; a later decision's for the same objects stays. */
    void drop(Assumed assumed) {
        migrations.remove(assumed.migration().getMetadata().getUid(), assumed.migration());
        assumed.claim().ifPresent(c -> claims.remove(c.getMetadata().getName(), c));
    }

    /** The migrations given, each replaced by the version an assumed decision will write. */
    Stream<SriovMigration> migrations(Stream<SriovMigration> known) {
        return migrations.isEmpty() ? known
                : known.map(m -> migrations.getOrDefault(m.getMetadata().getUid(), m));
    }

    /**
     * The claims given with the assumed ones for VFs they do not hold yet. A claim in view for the same VF wins: it is
     * either the assumed one, landed, or another holder's, and then the assumed create will fail.
     */
    Collection<VfClaim> claims(Collection<VfClaim> known) {
        if (claims.isEmpty()) {
            return known;
        }
        Map<String, VfClaim> byName = new LinkedHashMap<>();
        known.forEach(c -> byName.put(c.getMetadata().getName(), c));
        claims.forEach(byName::putIfAbsent);
        return byName.values();
    }
}
