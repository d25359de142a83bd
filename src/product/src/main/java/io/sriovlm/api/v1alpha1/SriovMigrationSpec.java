package io.sriovlm.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class SriovMigrationSpec {

    @Required
    @Pattern(ApiPatterns.DOMAIN_NAME)
    @JsonPropertyDescription("libvirt domain name of the VM to move.")
    public String vmName;

    @Pattern(ApiPatterns.DNS_SUBDOMAIN)
    @Size(max = 253)
    @JsonPropertyDescription("Node the VM runs on. Optional: found from the agents' inventory when empty.")
    public String sourceNode;

    @Pattern(ApiPatterns.DNS_SUBDOMAIN)
    @Size(max = 253)
    @JsonPropertyDescription("Node to move the VM to. Optional: chosen by placement when empty, and checked the same way when set.")
    public String targetNode;

    @Pattern(ApiPatterns.DNS_SUBDOMAIN)
    @Size(max = 253)
    @JsonPropertyDescription("VfPool the target VF is drawn from. Optional when exactly one pool covers the target node.")
    public String vfPool;

    @Default("Explicit")
    @JsonPropertyDescription("Explicit: the agents detach and attach the VF (the runbooks' way). Automatic: QEMU unplugs and plugs it.")
    public VfHandoff vfHandoff;

    @Default("AlwaysUp")
    @JsonPropertyDescription("AlwaysUp keeps the virtio standby link up; UpDuringMigration raises it only while the VF is away.")
    public StandbyLinkPolicy standbyLinkPolicy;

    @JsonPropertyDescription("Failover (team the VF with the virtio standby and move it by unplug and plug), VfState (the VF"
            + " stays attached and libvirt migrates its state: a VFIO variant driver and matching hosts needed) or Auto"
            + " (VfState for a VM whose VF and hosts qualify, Failover for a teamed VM). Unset: the VfPool's"
            + " spec.defaultMethod, else Failover. The method used is in status.method.")
    public MigrationMethod method;

    @JsonPropertyDescription("Migration options handed to libvirt, and the deadlines of the phases.")
    public MigrationOptions options;

    @JsonPropertyDescription("Run every preflight check without changing anything; the result is in status.conditions.")
    public Boolean dryRun;

    @JsonPropertyDescription("Request cancellation. Before the source is touched the migration ends Cancelled; after, it rolls back.")
    public Boolean cancel;

    @Min(0)
    @JsonPropertyDescription("Delete this SriovMigration this many seconds after it finished (Succeeded, Failed, RolledBack or"
            + " Cancelled), like a Job's. Unset: the operator's default (setting historyTtlAfterFinished; none unless set)."
            + " Besides, the operator keeps only the newest few finished migrations per VM (setting historyPerVm, 5), and"
            + " keeps a node evacuation's migrations until it is done.")
    public Integer ttlSecondsAfterFinished;

    public boolean dryRunRequested() {
        return Boolean.TRUE.equals(dryRun);
    }

    public boolean cancelRequested() {
        return Boolean.TRUE.equals(cancel);
    }

    public VfHandoff handoff() {
        return vfHandoff == null ? VfHandoff.Explicit : vfHandoff;
    }

    public StandbyLinkPolicy linkPolicy() {
        return standbyLinkPolicy == null ? StandbyLinkPolicy.AlwaysUp : standbyLinkPolicy;
    }

    public MigrationOptions optionsOrDefaults() {
        return options == null ? new MigrationOptions() : options;
    }
}
