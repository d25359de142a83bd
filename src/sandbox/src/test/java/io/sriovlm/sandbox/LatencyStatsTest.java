package io.sriovlm.sandbox;

import org.junit.jupiter.api.Test;

import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LatencyStatsTest {
    @Test
    void nearestRankOnOneToTwoHundred() {
        // Shuffled input: the class sorts its own copy.
        long[] values = LongStream.rangeClosed(1, 200).map(i -> (i * 37) % 200 + 1).toArray();
        LatencyStats s = new LatencyStats(values);
        assertThat(s.percentile(50)).isEqualTo(100);
        assertThat(s.percentile(90)).isEqualTo(180);
        assertThat(s.percentile(99)).isEqualTo(198);
        assertThat(s.percentile(100)).isEqualTo(200);
        assertThat(s.max()).isEqualTo(200);
        assertThat(s.min()).isEqualTo(1);
        assertThat(s.mean()).isEqualTo(100.5);
    }

    @Test
    void smallSamplesReturnMeasuredValues() {
        LatencyStats one = new LatencyStats(new long[] { 7 });
        assertThat(one.percentile(1)).isEqualTo(7);
        assertThat(one.percentile(99)).isEqualTo(7);
        LatencyStats four = new LatencyStats(new long[] { 40, 10, 30, 20 });
        assertThat(four.percentile(50)).isEqualTo(20);
        assertThat(four.percentile(51)).isEqualTo(30);
        assertThat(four.percentile(99)).isEqualTo(40);
    }

    @Test
    void rejectsEmptySamplesAndBadPercentiles() {
        assertThatThrownBy(() -> new LatencyStats(new long[0])).isInstanceOf(IllegalArgumentException.class);
        LatencyStats s = new LatencyStats(new long[] { 1, 2 });
        assertThatThrownBy(() -> s.percentile(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> s.percentile(101)).isInstanceOf(IllegalArgumentException.class);
    }
}
