package io.sriovlm.sandbox.cli;

import java.util.Locale;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The sandbox's log: JBoss LogManager configured by the sandbox's logging.properties (stderr, one line per record),
 * io.sriovlm at the level asked for. Call first thing in main: the log manager must be chosen before anything logs.
 */
final class SandboxLogging {
    /** Held: java.util.logging keeps loggers weakly, and a collected one forgets its level. */
    private static Logger sriovlm;

    private SandboxLogging() {
    }

    static void configure(String level) {
        System.setProperty("java.util.logging.manager", "org.jboss.logmanager.LogManager");
        sriovlm = Logger.getLogger("io.sriovlm");
        sriovlm.setLevel(switch (level.toUpperCase(Locale.ROOT)) {
            case "DEBUG" -> Level.FINE;
            case "TRACE" -> Level.FINEST;
            case "WARN" -> Level.WARNING;
            case "ERROR" -> Level.SEVERE;
            default -> Level.INFO;
        });
    }
}
