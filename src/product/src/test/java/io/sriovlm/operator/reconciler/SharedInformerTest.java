package io.sriovlm.operator.reconciler;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class SharedInformerTest {

    @Test
    void aViewThatFailsOnAChangeDoesNotKeepTheOthersFromIt() {
        List<String> handed = new ArrayList<>();
        SharedInformer.toEach(List.of("migrations", "pools", "nics"), view -> {
            if (view.equals("pools")) {
                throw new IllegalStateException("a mapper that did not expect this object");
            }
            handed.add(view);
        });
        assertThat(handed).containsExactly("migrations", "nics");
    }
}
