package org.dkimrelay.relay;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The import rules each package's {@code package-info.java} states, checked over the compiled
 * classes: a wrong import fails the build, not a review.
 */
class ArchitectureTest {
  private static final String RELAY = "org.dkimrelay.relay";

  private static JavaClasses classes;

  @BeforeAll
  static void importTheProduct() {
    classes =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("org.dkimrelay");
  }

  /** The checks themselves are checked: the rules must see the product's classes. */
  @Test
  void theProductIsImported() {
    assertThat(classes.containPackage(RELAY + ".pipeline")).isTrue();
    assertThat(classes.containPackage("org.dkimrelay.keys")).isTrue();
  }

  @Test
  void theKeyToolKnowsNoRelay() {
    check(
        noClasses()
            .that()
            .resideInAPackage("org.dkimrelay.keys..")
            .should()
            .dependOnClassesThat()
            .resideInAPackage(RELAY + ".."));
  }

  @Test
  void dkimDoesNoIo() {
    check(
        noClasses()
            .that()
            .resideInAPackage(RELAY + ".dkim..")
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage("java.net..", "java.nio.file..", "java.nio.channels..")
            .orShould()
            .dependOnClassesThat()
            .haveNameMatching("java\\.io\\.(File|RandomAccessFile).*")
            .orShould()
            .dependOnClassesThat()
            .resideInAnyPackage("org.xbill.DNS..", "org.dkimrelay.keys.dns.."));
  }

  @Test
  void frontEndsDoNotImportEachOther() {
    check(slices().matching(RELAY + ".(milter|opensmtpd|smtp)..").should().notDependOnEachOther());
  }

  @Test
  void configImportsNothingOfOursButTheKeys() {
    check(
        noClasses()
            .that()
            .resideInAPackage(RELAY + ".config..")
            .should()
            .dependOnClassesThat(
                resideInAPackage(RELAY + "..").and(not(resideInAPackage(RELAY + ".config..")))));
  }

  @Test
  void theWireCodeKnowsOnlyRepliesAndBytes() {
    check(
        noClasses()
            .that()
            .resideInAPackage(RELAY + ".wire..")
            .should()
            .dependOnClassesThat(
                resideInAPackage(RELAY + "..")
                    .and(
                        not(
                            resideInAnyPackage(
                                RELAY + ".wire..", RELAY + ".reply..", RELAY + ".bytes..")))));
  }

  @Test
  void theProxysNextHopKnowsNothingOfItsInboundSide() {
    check(
        noClasses()
            .that()
            .resideInAPackage(RELAY + ".upstream..")
            .should()
            .dependOnClassesThat()
            .resideInAPackage(RELAY + ".smtp.."));
  }

  @Test
  void onlyTheCommandLineImportsTheCommandLine() {
    check(
        noClasses()
            .that()
            .resideOutsideOfPackage(RELAY + ".cli..")
            .should()
            .dependOnClassesThat()
            .resideInAPackage(RELAY + ".cli.."));
  }

  @Test
  void thePipelineKnowsNoFrontEnd() {
    check(
        noClasses()
            .that()
            .resideInAPackage(RELAY + ".pipeline..")
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage(
                RELAY + ".milter..",
                RELAY + ".opensmtpd..",
                RELAY + ".smtp..",
                RELAY + ".upstream..",
                RELAY + ".service.."));
  }

  private static void check(ArchRule rule) {
    rule.check(classes);
  }
}
