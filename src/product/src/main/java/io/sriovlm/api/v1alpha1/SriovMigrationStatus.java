package io.sriovlm.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;

import java.util.ArrayList;
import java.util.List;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class SriovMigrationStatus {

    @JsonPropertyDescription("The spec generation this status was computed from.")
    public Long observedGeneration;

    @JsonPropertyDescription("Where the migration is. Each phase has one owner; terminal phases are Succeeded, RolledBack, Failed, Cancelled.")
    public MigrationPhase phase;

    public String sourceNode;
    public String targetNode;
    @JsonPropertyDescription("VfPool the target VF was reserved in.")
    public String vfPool;
    @JsonPropertyDescription("PCI address of the VF the VM held on the source.")
    public String sourceVf;
    @JsonPropertyDescription("PCI address of the VF reserved for the VM on the target.")
    public String targetVf;
    @JsonPropertyDescription("libvirt URI the source migrates the domain to, as the target's agent reported it.")
    public String targetMigrationUri;
    @JsonPropertyDescription("Why placement chose the target.")
    public String placementReason;

    @JsonPropertyDescription("The migration (namespace/name) whose outbound lane of the source this one takes when that one's domain has left the source; set when it was admitted behind it to prepare its target ahead (phase TargetReady).")
    public String predecessor;
    @JsonPropertyDescription("UID of status.predecessor.")
    public String predecessorUid;

    @JsonPropertyDescription("The VM's teaming pair as the source agent read it from the domain XML.")
    public TeamingSummary teaming;

    @JsonPropertyDescription("The method this migration uses, Failover or VfState, decided as it leaves Pending; the"
            + " MethodChosen condition says why.")
    public MigrationMethod method;

    @JsonPropertyDescription("When each phase was entered.")
    public List<PhaseTimestamp> phaseTimestamps = new ArrayList<>();

    @JsonPropertyDescription("When the current phase expires (RFC 3339); past it, the operator rolls the migration back.")
    public String phaseDeadline;

    @JsonPropertyDescription("Memory copy progress of the running migration job.")
    public MigrationProgress progress;

    @JsonPropertyDescription("When the VF left the guest on the source (device-removed event), RFC 3339 with milliseconds.")
    public String standbyStartedAt;
    @JsonPropertyDescription("When the guest was back on a VF with the host bond on the VF representor.")
    public String fastPathRestoredAt;

    @JsonPropertyDescription("Time the VM spent on the standby path: VF detached on the source -> VF attached and bond on the VF representor on the target (or source, after a rollback).")
    public Long standbyWindowMs;
    @JsonPropertyDescription("Worst lag between a guest path change (device event) and the host bond following it.")
    public Long bondSwitchLagMs;
    @JsonPropertyDescription("Downtime of the switchover as libvirt measured it.")
    public Long migrationDowntimeMs;

    @JsonPropertyDescription("Machine-readable reason of a failure or rollback.")
    public String failureReason;
    @JsonPropertyDescription("Human-readable summary of the current state.")
    public String message;

    public List<Condition> conditions = new ArrayList<>();
}
