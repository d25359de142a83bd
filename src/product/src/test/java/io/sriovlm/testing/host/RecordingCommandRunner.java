package io.sriovlm.testing.host;

import io.sriovlm.agent.hostnet.CommandRunner;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * A {@link CommandRunner} for tests and the sandbox: records every argv, answers from scripted rules (the newest
 * matching rule wins) and otherwise from a fallback (by default: exit 0, no output).
 */
public final class RecordingCommandRunner implements CommandRunner {
    private record Rule(Predicate<List<String>> when, Function<List<String>, CommandResult> answer) {
    }

    private final List<List<String>> calls = Collections.synchronizedList(new ArrayList<>());
    private final List<Rule> rules = Collections.synchronizedList(new ArrayList<>());
    private final CommandRunner fallback;

    public RecordingCommandRunner() {
        this(argv -> CommandResult.ok(""));
    }

    public RecordingCommandRunner(CommandRunner fallback) {
        this.fallback = fallback;
    }

    /** Answers every argv that contains {@code tokens} in this order (not necessarily adjacent). */
    public RecordingCommandRunner answer(List<String> tokens, CommandResult result) {
        return answer(argv -> containsInOrder(argv, tokens), argv -> result);
    }

    public RecordingCommandRunner answer(Predicate<List<String>> when, Function<List<String>, CommandResult> answer) {
        rules.add(new Rule(when, answer));
        return this;
    }

    /** Drops all scripted rules (the fallback stays). */
    public void clearRules() {
        rules.clear();
    }

    @Override
    public CommandResult run(List<String> argv) {
        calls.add(List.copyOf(argv));
        synchronized (rules) {
            for (int i = rules.size() - 1; i >= 0; i--) {
                if (rules.get(i).when().test(argv)) {
                    return rules.get(i).answer().apply(argv);
                }
            }
        }
        return fallback.run(argv);
    }

    public List<List<String>> calls() {
        synchronized (calls) {
            return List.copyOf(calls);
        }
    }

    /** The calls as shown in status: argv joined by spaces. */
    public List<String> shown() {
        return calls().stream().map(CommandRunner::show).toList();
    }

    /** Calls that change something: everything but the read-only queries discovery makes. */
    public List<String> changes() {
        return shown().stream().filter(c -> !isQuery(c)).toList();
    }

    public void clear() {
        calls.clear();
    }

    static boolean isQuery(String shown) {
        return shown.contains(" show") || shown.startsWith("devlink dev info ") || shown.startsWith("ethtool -k ")
                || shown.contains(" get ")
                || shown.contains(" br-exists ") || shown.contains(" list-ports ") || shown.contains("bond/show");
    }

    public static boolean containsInOrder(List<String> argv, List<String> tokens) {
        int at = 0;
        for (String a : argv) {
            if (at < tokens.size() && a.equals(tokens.get(at))) {
                at++;
            }
        }
        return at == tokens.size();
    }
}
