package io.sriovlm.agent.hostnet;

import java.util.List;

/** One change the provisioner makes on a host: a command (argv, no shell) or a sysfs attribute write. */
public sealed interface HostAction {

    /** How the action is shown in status: the argv, or {@code write FILE VALUE}. */
    String describe();

    /** Runs a host tool. */
    record Run(List<String> argv) implements HostAction {
        public Run {
            argv = List.copyOf(argv);
        }

        @Override
        public String describe() {
            return CommandRunner.show(argv);
        }
    }

    /** Writes {@code value} to a sysfs attribute, {@code path} relative to the sysfs root. */
    record Write(String path, String value) implements HostAction {
        @Override
        public String describe() {
            return "write " + path + " " + value;
        }
    }
}
