package io.sriovlm.architecture;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * The sandbox's package rules (the product's are PackageRulesTest in src/product): no cycle among its packages, and the
 * API servers (embedded, real control plane) know nothing of the world that runs on them.
 */
class SandboxPackageRulesTest {
    static final JavaClasses SANDBOX = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("io.sriovlm.sandbox");

    @Test
    void noPackageCycles() {
        slices().matching("io.sriovlm.sandbox.(**)").should().beFreeOfCycles().check(SANDBOX);
    }

    @Test
    void theApiServersKnowNothingOfTheWorld() {
        noClasses().that().resideInAnyPackage("io.sriovlm.sandbox.api..", "io.sriovlm.sandbox.controlplane..")
                .should().dependOnClassesThat().resideInAnyPackage("io.sriovlm.sandbox", "io.sriovlm.sandbox.faults..",
                        "io.sriovlm.sandbox.chaos..", "io.sriovlm.sandbox.bench..", "io.sriovlm.sandbox.cli..",
                        "io.sriovlm.sandbox.host..")
                .check(SANDBOX);
    }
}
