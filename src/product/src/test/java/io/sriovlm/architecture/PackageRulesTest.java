package io.sriovlm.architecture;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaMethodCall;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import io.sriovlm.status.StatusWriter;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Set;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * The product's package rules (ArchUnit on its compiled classes): no package cycle; the API imports nothing of ours;
 * the operator imports no agent code and the agent no operator code — both may use the shared packages (api, common,
 * statemachine, status, metrics); only the role factories (io.sriovlm.roles) and Main wire the two roles' packages.
 */
class PackageRulesTest {
    static JavaClasses product;

    @BeforeAll
    static void importProduct() {
        product = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.sriovlm");
    }

    @Test
    void noPackageCycles() {
        slices().matching("io.sriovlm.(**)").should().beFreeOfCycles().check(product);
    }

    @Test
    void theApiImportsNothingOfOurs() {
        noClasses().that().resideInAPackage("io.sriovlm.api..").should().dependOnClassesThat(
                resideInAPackage("io.sriovlm..").and(not(resideInAPackage("io.sriovlm.api..")))).check(product);
    }

    @Test
    void theOperatorImportsNoAgentCode() {
        noClasses().that().resideInAPackage("io.sriovlm.operator..").should().dependOnClassesThat()
                .resideInAPackage("io.sriovlm.agent..").check(product);
    }

    @Test
    void theAgentImportsNoOperatorCode() {
        noClasses().that().resideInAPackage("io.sriovlm.agent..").should().dependOnClassesThat()
                .resideInAPackage("io.sriovlm.operator..").check(product);
    }

    @Test
    void theSharedPackagesImportNeitherRole() {
        noClasses().that().resideInAnyPackage("io.sriovlm.common..", "io.sriovlm.statemachine..",
                "io.sriovlm.status..", "io.sriovlm.metrics..").should().dependOnClassesThat()
                .resideInAnyPackage("io.sriovlm.operator..", "io.sriovlm.agent..", "io.sriovlm.roles..")
                .check(product);
    }

    /** A call that writes a status through fabric8. */
    static final DescribedPredicate<JavaMethodCall> STATUS_WRITE = DescribedPredicate.describe("a fabric8 status write",
            call -> call.getTargetOwner().getPackageName().startsWith("io.fabric8.kubernetes.client")
                    && (Set.of("updateStatus", "patchStatus", "editStatus", "replaceStatus").contains(call.getName())
                            || call.getName().equals("subresource")));

    /** Every status write goes through the one writer of its kind, a subclass of io.sriovlm.status.StatusWriter. */
    @Test
    void onlyTheStatusWritersWriteAStatus() {
        noClasses().that().doNotHaveFullyQualifiedName(StatusWriter.class.getName()).should()
                .callMethodWhere(STATUS_WRITE).check(product);
        // The predicate recognizes the write the base class makes, so the rule above can fail.
        classes().that().haveFullyQualifiedName(StatusWriter.class.getName()).should().callMethodWhere(STATUS_WRITE)
                .check(product);
    }

    @Test
    void theProductKnowsNothingOfTheSandbox() {
        noClasses().should().dependOnClassesThat().resideInAnyPackage("io.sriovlm.sandbox..", "io.sriovlm.testing..")
                .check(product);
    }
}
