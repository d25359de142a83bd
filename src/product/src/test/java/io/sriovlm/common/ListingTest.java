package io.sriovlm.common;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/** Unit tier: messages name a few items and count the rest. */
class ListingTest {

    @Test
    void namesTheFirstFiveAndCountsTheRest() {
        List<String> nodes = IntStream.rangeClosed(1, 1000).mapToObj(i -> "hv" + i).toList();
        String listed = Listing.firstFew(nodes, ", ", "node(s)");
        assertThat(listed).isEqualTo("hv1, hv2, hv3, hv4, hv5, and 995 more node(s)");
    }

    @Test
    void aShortListIsNamedWhole() {
        assertThat(Listing.firstFew(List.of("a", "b", "c", "d", "e"), "; ", "x")).isEqualTo("a; b; c; d; e");
        assertThat(Listing.firstFew(List.of(), ", ", "x")).isEmpty();
    }
}
