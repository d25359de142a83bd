package io.sriovlm.sandbox;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.sriovlm.agent.libvirt.Hypervisor.DomainSnapshot;
import io.sriovlm.agent.libvirt.TeamingReport;
import io.sriovlm.agent.libvirt.TeamingXml;
import io.sriovlm.api.v1alpha1.HypervisorNic;
import io.sriovlm.api.v1alpha1.HypervisorNicSpec.BondSpec;
import io.sriovlm.api.v1alpha1.SriovMigration;
import io.sriovlm.api.v1alpha1.VfClaim;
import io.sriovlm.api.v1alpha1.VfClaimSpec;
import io.sriovlm.common.Timestamps;
import io.sriovlm.sandbox.host.SimulatedHypervisor;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Reads the sandbox's world — API objects and every simulated hypervisor with its sysfs — and reports each violation
 * of the invariants docs/architecture.md promises ("Invariants and budgets"), by name:
 * <ol>
 * <li>each VM runs on exactly one node;</li>
 * <li>each VM has a working path: its VF attached with the bond on the VF representor, or the standby path with the
 * bond on the SF representor;</li>
 * <li>no VF is held twice (attached to two domains, or claimed for one VM and attached to another);</li>
 * <li>no reservation outlives its migration;</li>
 * <li>no migration stays in a non-terminal phase past its deadline plus a margin; a deadline that passed within
 * {@code heartbeatStaleAfter} after an injected 429 or 5xx counts from then, since the operator holds it that long
 * (docs/decisions/030).</li>
 * </ol>
 * Meant for a world at rest (no step half-way, e.g. after the migrations under test ended): between a VF leaving
 * the guest and the bond following it, invariant 2 is briefly false by design.
 */
public final class InvariantChecker {
    private final Sandbox sandbox;
    private final Duration deadlineMargin;

    public InvariantChecker(Sandbox sandbox, Duration deadlineMargin) {
        this.sandbox = sandbox;
        this.deadlineMargin = deadlineMargin;
    }

    /** Every violation found, one readable line each; empty when the world is sound. */
    public List<String> violations() {
        KubernetesClient client = sandbox.client();
        List<String> violations = new ArrayList<>();
        Map<String, HypervisorNic> nics = client.resources(HypervisorNic.class).list().getItems().stream()
                .collect(Collectors.toMap(n -> n.getSpec().nodeName, n -> n, (a, b) -> a));
        Set<String> vms = new TreeSet<>();
        Map<String, List<String>> holdersOfVf = new HashMap<>();
        for (SimulatedHypervisor host : sandbox.fabric().hosts()) {
            for (DomainSnapshot domain : host.listDomains()) {
                if (!domain.isRunning()) {
                    continue;
                }
                vms.add(domain.name());
                TeamingReport teaming = TeamingXml.inspect(domain.xml());
                if (teaming.primaryPciAddress() != null) {
                    holdersOfVf.computeIfAbsent(host.hostName() + "/" + teaming.primaryPciAddress(), k -> new ArrayList<>())
                            .add(domain.name());
                }
                workingPath(host.hostName(), domain.name(), teaming, nics.get(host.hostName())).ifPresent(violations::add);
            }
        }
        for (String vm : vms) {
            List<String> nodes = sandbox.fabric().hostsRunning(vm);
            if (nodes.size() != 1) {
                violations.add("VM " + vm + " runs on " + nodes.size() + " nodes " + nodes + ", not exactly one");
            }
        }
        holdersOfVf.forEach((vf, holders) -> {
            if (holders.size() > 1) {
                violations.add("VF " + vf + " is attached to " + holders.size() + " domains " + holders);
            }
        });
        List<SriovMigration> migrations = client.resources(SriovMigration.class).inAnyNamespace().list().getItems();
        Set<String> live = migrations.stream()
                .filter(m -> m.getStatus() == null || m.getStatus().phase == null || !m.getStatus().phase.isTerminal())
                .map(m -> m.getMetadata().getUid()).collect(Collectors.toSet());
        // A claim's name is its VF, so the API already refuses a second holder; what remains to check is that the
        // holder is right: a reservation's VF is attached to no other domain, and its migration is still live.
        for (VfClaim claim : Ledgers.claims(client)) {
            VfClaimSpec c = claim.getSpec();
            String vf = c.node + "/" + c.pciAddress;
            List<String> attached = holdersOfVf.getOrDefault(vf, List.of());
            if (attached.stream().anyMatch(domain -> !domain.equals(c.vm))) {
                violations.add("VF " + vf + " is claimed for " + c.vm + " but attached to " + attached);
            }
            if (c.state == VfClaimSpec.State.Reserved && !live.contains(c.migrationUid)) {
                violations.add("VF " + vf + " stays reserved for " + c.migration + ", which is finished or gone");
            }
        }
        Instant now = Instant.now();
        Instant outage = sandbox.api().faults().lastUnavailable();
        Duration held = sandbox.operatorConfig().heartbeatStaleAfter();
        for (SriovMigration m : migrations) {
            if (m.getStatus() == null || m.getStatus().phase == null || m.getStatus().phase.isTerminal()) {
                continue;
            }
            Instant deadline = Timestamps.parse(m.getStatus().phaseDeadline);
            if (deadline != null && outage != null && deadline.isBefore(outage.plus(held))) {
                deadline = outage.plus(held); // the operator holds deadlines after an outage (decision 030)
            }
            if (deadline != null && now.isAfter(deadline.plus(deadlineMargin))) {
                violations.add("migration " + m.getMetadata().getNamespace() + "/" + m.getMetadata().getName()
                        + " is still " + m.getStatus().phase + " past its deadline " + m.getStatus().phaseDeadline);
            }
        }
        return violations;
    }

    private Optional<String> workingPath(String node, String vm, TeamingReport teaming, HypervisorNic nic) {
        if (teaming.standbyDevice() == null || nic == null) {
            return Optional.empty(); // not a teamed VM: no path the operator is responsible for
        }
        Optional<BondSpec> bond = nic.getSpec().bonds.stream()
                .filter(b -> b.sfNetdev.equals(teaming.standbyDevice())).findFirst();
        if (bond.isEmpty()) {
            return Optional.of("VM " + vm + " on " + node + ": no bond for its SF netdev " + teaming.standbyDevice());
        }
        String active = sandbox.sysfs(node).activeSlave(bond.get().name);
        String wanted = teaming.primaryAttached() ? bond.get().vfRepresentor : bond.get().sfRepresentor;
        if (!wanted.equals(active)) {
            return Optional.of("VM " + vm + " on " + node + " has " + (teaming.primaryAttached() ? "its VF attached"
                    : "no VF (standby path)") + " but bond " + bond.get().name + " is on " + active + ", not " + wanted);
        }
        return Optional.empty();
    }
}
