package io.sriovlm.operator.reconciler;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.sriovlm.api.v1alpha1.SriovMigration;
import io.sriovlm.api.v1alpha1.VfClaim;
import io.sriovlm.api.v1alpha1.VfClaimSpec;
import io.sriovlm.common.Timestamps;
import io.sriovlm.operator.placement.TargetSelector.Choice;
import io.sriovlm.operator.placement.VfLedger;
import io.sriovlm.status.StatusWriter;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * The one writer of VfClaims, shared by the operator's controllers: the migration controller reserves a VF by
 * creating its claim (the API server refuses a second one: the VF is lost, decide again) and releases it at the end;
 * the pool controller collects the claims nothing needs any more. Like the status writers, it remembers its own
 * writes until the informer shows them, so that the next decision, a few milliseconds later, counts the VF it just
 * reserved or released.
 */
public final class VfClaims {
    private static final Logger LOG = Logger.getLogger(VfClaims.class);
    private static final int ATTEMPTS = 5;
    /** An own write the informer never shows (the claim was deleted by someone else meanwhile) is forgotten. */
    private static final Duration REMEMBER_FOR = Duration.ofSeconds(30);

    private final KubernetesClient client;
    private final Clock clock;
    /** By claim name: the version this process wrote or deleted, while the informer does not show that yet. */
    private final Map<String, OwnWrite> ownWrites = new ConcurrentHashMap<>();

    /** @param claim null when this process deleted the claim with {@code uid} */
    private record OwnWrite(VfClaim claim, String uid, Instant at) {
    }

    public VfClaims(KubernetesClient client, Clock clock) {
        this.client = client;
        this.clock = clock;
    }

    /** The claims an informer holds, with this process's writes it does not show yet. */
    public Collection<VfClaim> view(Stream<VfClaim> cached) {
        Map<String, VfClaim> byName = new LinkedHashMap<>();
        cached.forEach(c -> byName.put(c.getMetadata().getName(), c));
        if (ownWrites.isEmpty()) {
            return byName.values();
        }
        Instant forgetBefore = clock.instant().minus(REMEMBER_FOR);
        ownWrites.forEach((name, own) -> {
            VfClaim inCache = byName.get(name);
            boolean sameObject = inCache != null && own.uid().equals(inCache.getMetadata().getUid());
            if (own.at().isBefore(forgetBefore) || (inCache != null && !sameObject)) {
                ownWrites.remove(name, own); // forgotten, or replaced by a newer claim the cache shows
            } else if (own.claim() == null) {
                if (sameObject) {
                    byName.remove(name);
                } else {
                    ownWrites.remove(name, own);
                }
            } else if (inCache == null || StatusWriter.newer(own.claim(), inCache)) {
                byName.put(name, own.claim());
            } else {
                ownWrites.remove(name, own);
            }
        });
        return byName.values();
    }

    /**
     * Reserves the chosen VF for the migration by creating its claim. Idempotent: the migration's own claim counts
     * as reserved.
     *
     * @return false when another holder has the VF (decide again)
     */
    public boolean reserve(SriovMigration m, Choice choice) {
        VfClaim claim = claimFor(m, choice);
        VfClaimSpec spec = claim.getSpec();
        try {
            remember(client.resource(claim).create());
            return true;
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) {
                throw e;
            }
        }
        VfClaim existing = client.resources(VfClaim.class).withName(claim.getMetadata().getName()).get();
        boolean ours = existing != null && spec.migrationUid.equals(existing.getSpec().migrationUid)
                && existing.getSpec().state == VfClaimSpec.State.Reserved;
        if (ours) {
            remember(existing);
        } else {
            LOG.debugf("reservation of %s for %s lost to %s", spec.pciAddress, spec.migration,
                    existing == null ? "a claim since deleted" : existing.getSpec().migration);
        }
        return ours;
    }

    /** The claim {@link #reserve} creates for the migration on the chosen VF. */
    public VfClaim claimFor(SriovMigration m, Choice choice) {
        VfClaimSpec spec = new VfClaimSpec();
        spec.node = choice.node();
        spec.pciAddress = choice.vfPciAddress();
        spec.vfIndex = choice.vfIndex() < 0 ? null : choice.vfIndex();
        spec.pool = choice.pool();
        spec.vm = m.getSpec().vmName;
        spec.migration = m.getMetadata().getNamespace() + "/" + m.getMetadata().getName();
        spec.migrationUid = m.getMetadata().getUid();
        spec.state = VfClaimSpec.State.Reserved;
        spec.since = Timestamps.format(clock.instant());
        return VfClaim.of(spec);
    }

    /**
     * Ends the migration's reservations: when the VF may be the VM's ({@link VfLedger#handsOverItsVf}) it is handed
     * over (the claim stays until the node's inventory tells), otherwise the claim goes. Idempotent.
     *
     * @param claims the claims in view ({@link #view})
     */
    public void release(SriovMigration m, Collection<VfClaim> claims) {
        String uid = m.getMetadata().getUid();
        boolean handOver = VfLedger.handsOverItsVf(m);
        List<VfClaim> held = claims.stream().filter(c -> uid.equals(c.getSpec().migrationUid)
                && c.getSpec().state == VfClaimSpec.State.Reserved).toList();
        for (VfClaim claim : held) {
            if (handOver) {
                handOver(claim);
            } else {
                delete(claim, "migration " + claim.getSpec().migration + " ended");
            }
        }
    }

    /** Marks the claim handed to its VM; a conflict reads it again (the hand-over must land, or the VF stays reserved). */
    public void handOver(VfClaim claim) {
        VfClaim current = claim;
        for (int attempt = 0; attempt < ATTEMPTS && current != null
                && current.getSpec().state == VfClaimSpec.State.Reserved; attempt++) {
            VfClaim desired = Serialization.clone(current);
            desired.getSpec().state = VfClaimSpec.State.HandedOver;
            desired.getSpec().since = Timestamps.format(clock.instant());
            try {
                remember(client.resource(desired).update());
                return;
            } catch (KubernetesClientException e) {
                if (e.getCode() == 404) {
                    rememberDeletion(current); // deleted by another process: views must not keep showing ours
                    return;
                }
                if (e.getCode() != 409) {
                    throw e;
                }
            }
            current = client.resources(VfClaim.class).withName(claim.getMetadata().getName()).get();
            if (current != null && !java.util.Objects.equals(current.getSpec().migrationUid, claim.getSpec().migrationUid)) {
                return; // not ours any more
            }
        }
    }

    /**
     * Deletes the claim, on the version judged: one changed since is judged again. A claim already gone (fabric8
     * returns normally on a 404) is recorded as deleted too.
     */
    public void delete(VfClaim claim, String why) {
        try {
            client.resource(claim).lockResourceVersion(claim.getMetadata().getResourceVersion()).delete();
            rememberDeletion(claim);
            LOG.debugf("released VF %s of %s: %s", claim.getSpec().pciAddress, claim.getSpec().node, why);
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) {
                throw e;
            }
        }
    }

    /**
     * Records a write, unless this process already recorded a later state of the same claim: the pool controller may
     * delete a claim the migration controller just handed over before that thread records its hand-over, and the
     * hand-over recorded last would then bring a deleted claim back into view until it is forgotten.
     */
    void remember(VfClaim written) {
        if (written != null && written.getMetadata().getUid() != null) {
            ownWrites.merge(written.getMetadata().getName(),
                    new OwnWrite(written, written.getMetadata().getUid(), clock.instant()),
                    (recorded, ours) -> laterThan(recorded, ours) ? recorded : ours);
        }
    }

    /** Records this process's deletion of {@code claim}: views leave it out until the informer does too. */
    void rememberDeletion(VfClaim claim) {
        ownWrites.put(claim.getMetadata().getName(), new OwnWrite(null, claim.getMetadata().getUid(), clock.instant()));
    }

    /** Whether {@code recorded} is a later state of the same claim than {@code ours}: its deletion, or a newer version. */
    private static boolean laterThan(OwnWrite recorded, OwnWrite ours) {
        return recorded.uid().equals(ours.uid())
                && (recorded.claim() == null || StatusWriter.newer(recorded.claim(), ours.claim()));
    }
}
