package io.sriovlm.agent.hostnet;

import java.util.List;

/**
 * Runs one host tool (devlink, ethtool, ip, ovs-vsctl, ovs-appctl) as an argument list: never through a shell, so no
 * value from a custom resource is ever parsed as shell syntax. Implementations: {@link ProcessCommandRunner} on a
 * host; a recording runner with scripted answers in tests and in the sandbox.
 */
public interface CommandRunner {

    /**
     * @param argv the program and its arguments, each one argv element
     * @return the exit code and output; a program that cannot be started is exit code 127 with the reason in stderr
     */
    CommandResult run(List<String> argv);

    /** What a command did. */
    record CommandResult(int exitCode, String stdout, String stderr) {
        public CommandResult {
            stdout = stdout == null ? "" : stdout;
            stderr = stderr == null ? "" : stderr;
        }

        public static CommandResult ok(String stdout) {
            return new CommandResult(0, stdout, "");
        }

        public static CommandResult fail(int exitCode, String stderr) {
            return new CommandResult(exitCode, "", stderr);
        }

        public boolean succeeded() {
            return exitCode == 0;
        }

        /** The error a person needs: stderr, else stdout, trimmed to one paragraph. */
        public String error() {
            String e = stderr.isBlank() ? stdout : stderr;
            e = e.strip();
            return e.length() > 500 ? e.substring(0, 500) + "…" : e;
        }
    }

    /** How an argv is shown in status and conditions: space-separated, each element as given (no shell quoting). */
    static String show(List<String> argv) {
        return String.join(" ", argv);
    }
}
