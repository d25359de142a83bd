package io.sriovlm.sandbox;

import io.sriovlm.sandbox.faults.Fault;
import org.junit.jupiter.api.Tag;

import java.nio.file.Path;
import java.util.List;

/**
 * Real-control-plane tier: the fault matrix of {@link FaultMatrixSandboxTest} (the same cells, expected outcomes,
 * deadlines and invariants) with each world on a real kube-apiserver, the operator and the agents with their
 * ServiceAccounts' rights only: the rows whose fault goes through the API server or its clients (409s, 500s and
 * dropped watches injected by the fault proxy, leadership taken on a real Lease, restarts that list, watch and ask for
 * tokens again). The other rows break a call to the simulated host, or (NODE_NOT_READY) have the sandbox's kubelet
 * stand-in write a Node condition, the same whichever API server is behind, and NODE_NOT_READY's seven cells need a
 * fresh world each (about 100 s here). They run too with {@code -Dsriovlm.matrix.allRows=true}: all 61 cells passed
 * (docs/real-control-plane.md).
 */
@Tag("control-plane")
class FaultMatrixControlPlaneIT extends FaultMatrixSandboxTest {
    static final List<Fault> API_ROWS = List.of(Fault.AGENT_RESTART, Fault.OPERATOR_RESTART, Fault.LEADERSHIP_LOST,
            Fault.API_CONFLICT, Fault.API_ERROR, Fault.WATCH_DROPPED);

    @Override
    List<Fault> faults() {
        return Boolean.getBoolean("sriovlm.matrix.allRows") ? super.faults() : API_ROWS;
    }

    @Override
    Sandbox.Options onApi(Sandbox.Options options) {
        return options.withControlPlane(new Sandbox.ControlPlane(ControlPlaneWorld.binaries(), Path.of("config"),
                false));
    }

    /** Named so that hack/e2e-control-plane.sh stops a world's processes an interrupted run left behind. */
    @Override
    String workDirPrefix() {
        return "sriovlm-cp-matrix";
    }
}
