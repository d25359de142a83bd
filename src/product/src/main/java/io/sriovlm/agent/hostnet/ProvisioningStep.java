package io.sriovlm.agent.hostnet;

/** The provisioning steps, in the NVIDIA runbook's order (asap_config.sh, create_sf.sh, renames, bond_setup.sh, ovs-vsctl). */
public enum ProvisioningStep {
    NUM_VFS("numVfs"),
    ESWITCH("eswitch"),
    HW_TC_OFFLOAD("hwTcOffload"),
    SFS("sfs"),
    RENAMES("renames"),
    BONDS("bonds"),
    OVS("ovs");

    private final String statusName;

    ProvisioningStep(String statusName) {
        this.statusName = statusName;
    }

    /** The name used in status.steps and in conditions. */
    public String statusName() {
        return statusName;
    }
}
