package io.sriovlm.api.v1alpha1;

import java.util.Optional;

/**
 * How a migration travels, as {@code virsh migrate} says it: {@code --tls} (a qemu+tls destination, and QEMU's stream
 * encrypted), {@code --p2p} (the source libvirtd connects to the destination's; otherwise the source agent opens the
 * destination connection and drives the migration), {@code --unsafe}; and which destination URI a migration may use.
 * The URI is checked by the operator when it admits a migration (a refusal fails it before anything on a host
 * changes), by the source agent before it starts the job, and by the hypervisor implementations before libvirt opens
 * it: it comes from the target agent's HypervisorNic status, so every reader checks it again rather than trusting the
 * writer.
 */
public record MigrationTransport(boolean tls, boolean peerToPeer, boolean unsafe) {
    /** TLS, client-managed, safe: what a migration gets unless its spec says otherwise. */
    public static final MigrationTransport DEFAULT = new MigrationTransport(true, false, false);
    private static final String TLS_SCHEME = "qemu+tls://";

    /** The transport a migration's spec asks for: TLS unless turned off, p2p and unsafe only when turned on. */
    public static MigrationTransport of(MigrationOptions options) {
        MigrationOptions o = options == null ? new MigrationOptions() : options;
        return new MigrationTransport(o.tlsRequested(), o.peerToPeerRequested(), o.unsafeRequested());
    }

    /** Why {@code uri} must not be used with {@code transport}, or empty when it may. */
    public static Optional<String> problem(String uri, MigrationTransport transport) {
        Optional<String> shape = uriProblem(uri);
        if (shape.isPresent()) {
            return shape;
        }
        if (transport.tls() && !uri.startsWith(TLS_SCHEME)) {
            return Optional.of("spec.options.tls is true (the default) but the target's migration URI is " + uri
                    + ": configure the target's agent with a qemu+tls:// URI (sriovlm.agent.migration-uri), or set"
                    + " spec.options.tls: false for a trusted, isolated migration network");
        }
        return Optional.empty();
    }

    /** Why {@code uri} is no URI another host may be reached at (whatever the transport), or empty. */
    public static Optional<String> uriProblem(String uri) {
        if (uri == null || uri.isBlank()) {
            return Optional.of("no migration URI");
        }
        if (!ApiPatterns.matches(ApiPatterns.MIGRATION_URI, uri)) {
            return Optional.of("migration URI '" + uri + "' is not one sriovlm opens: it must be"
                    + " qemu+tls://HOST[:PORT]/system (or qemu+tcp / qemu+ssh with spec.options.tls: false), without URI"
                    + " parameters, which could run programs or skip certificate checks (" + ApiPatterns.MIGRATION_URI
                    + ")");
        }
        return Optional.empty();
    }
}
