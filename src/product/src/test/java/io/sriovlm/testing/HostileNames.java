package io.sriovlm.testing;

import java.util.List;

/** Names that must never become part of a command line, a sysfs path or markup: the injection tests' inputs. */
public final class HostileNames {
    /** Quotes, spaces, command separators and substitutions, XML metacharacters, option-looking names, traversal. */
    public static final List<String> ALL = List.of("vm'01", "vm\"01", "bond 0", "a;reboot", "$(reboot)", "`reboot`",
            "<b>", "a&b", "x>y", "-oX", "--db=unix:/x", "eth0\n", "../../x", "a|b", "bond0\u0000");

    private HostileNames() {
    }
}
