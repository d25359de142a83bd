package io.sriovlm.common;

import java.util.List;

/**
 * The first few items of a list and how many more: a condition message or an Event stays a few hundred bytes
 * whatever the fleet's size (a thousand node names would be ten kilobytes, written again whenever one changes).
 */
public final class Listing {
    /** How many items a message names before it only counts the rest. */
    public static final int MAX_LISTED = 5;

    private Listing() {
    }

    /**
     * @param what the plural of what is counted, e.g. "node(s)", for the tail "and 995 more node(s)"
     */
    public static String firstFew(List<String> items, String separator, String what) {
        if (items.size() <= MAX_LISTED) {
            return String.join(separator, items);
        }
        return String.join(separator, items.subList(0, MAX_LISTED)) + separator + "and "
                + (items.size() - MAX_LISTED) + " more " + what;
    }
}
