package org.dkimrelay.keys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeyDirectoryTest {
  @TempDir Path temp;

  @Test
  void storeWritesAPrivateKeyInAPrivateDirectoryAndTheRecordBesideIt() throws IOException {
    KeyDirectory directory = new KeyDirectory(temp.resolve("keys"));
    DkimKey key = PemKeysTest.generate(KeyAlgorithm.ED25519);
    TxtRecord record = key.txtRecord(3600);

    Path keyFile = directory.store(key, record);

    assertThat(keyFile).isEqualTo(temp.resolve("keys/example.com/s1.key"));
    assertThat(mode(keyFile)).isEqualTo("rw-------");
    assertThat(mode(keyFile.getParent())).isEqualTo("rwx------");
    assertThat(mode(temp.resolve("keys"))).isEqualTo("rwx------");
    assertThat(Files.readString(temp.resolve("keys/example.com/s1.txt")))
        .isEqualTo(record.zoneLine() + "\n");
    assertThat(directory.load(key.domain(), key.selector()).record()).isEqualTo(key.record());
  }

  @Test
  void anExistingSelectorIsNeverOverwritten() throws IOException {
    KeyDirectory directory = new KeyDirectory(temp);
    DkimKey first = PemKeysTest.generate(KeyAlgorithm.ED25519);
    directory.store(first, first.txtRecord(3600));
    String before = Files.readString(directory.keyFile(first.domain(), first.selector()));
    DkimKey second = PemKeysTest.generate(KeyAlgorithm.ED25519);

    assertThatThrownBy(() -> directory.store(second, second.txtRecord(3600)))
        .isInstanceOf(KeyToolException.class)
        .hasMessageContaining("already exists");
    assertThatThrownBy(() -> directory.requireAbsent(first.domain(), first.selector()))
        .hasMessageContaining("choose another --selector");
    assertThat(Files.readString(directory.keyFile(first.domain(), first.selector())))
        .isEqualTo(before);
  }

  @Test
  void aKeyReadableByOthersIsRefusedWithTheChmodToRun() throws IOException {
    KeyDirectory directory = new KeyDirectory(temp);
    DkimKey key = PemKeysTest.generate(KeyAlgorithm.ED25519);
    Path keyFile = directory.store(key, key.txtRecord(3600));
    Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-r--r--"));

    assertThatThrownBy(() -> directory.load(key.domain(), key.selector()))
        .isInstanceOf(KeyToolException.class)
        .hasMessageContaining("accessible by group or others")
        .hasMessageEndingWith("run chmod 600 " + keyFile);
  }

  @Test
  void aKeysOrDomainDirectoryWritableByOthersIsRefusedWithTheChmodToRun() throws IOException {
    KeyDirectory directory = new KeyDirectory(temp.resolve("keys"));
    DkimKey key = PemKeysTest.generate(KeyAlgorithm.ED25519);
    Path keyFile = directory.store(key, key.txtRecord(3600));
    for (Path open : List.of(temp.resolve("keys"), keyFile.getParent())) {
      Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
      assertThatThrownBy(() -> directory.load(key.domain(), key.selector()))
          .isInstanceOf(KeyToolException.class)
          .hasMessage(
              "directory "
                  + open
                  + " is writable by group or others (mode rwxrwxrwx), who could replace a key:"
                  + " run chmod go-w "
                  + open);
      Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxr-x---"));
      assertThat(directory.load(key.domain(), key.selector()).record()).isEqualTo(key.record());
    }
  }

  @Test
  void aSymlinkedKeyIsJudgedByItsTargetAndTheTargetsDirectory() throws IOException {
    KeyDirectory directory = new KeyDirectory(temp.resolve("keys"));
    DkimKey key = PemKeysTest.generate(KeyAlgorithm.ED25519);
    Path keyFile = directory.store(key, key.txtRecord(3600));
    Path planted = Files.createDirectory(temp.resolve("planted"));
    Path target = Files.move(keyFile, planted.resolve("other.pem"));
    Files.createSymbolicLink(keyFile, target);
    assertThat(directory.load(key.domain(), key.selector()).record()).isEqualTo(key.record());

    Files.setPosixFilePermissions(planted, PosixFilePermissions.fromString("rwxrwxrwx"));
    assertThatThrownBy(() -> directory.load(key.domain(), key.selector()))
        .hasMessageContaining("directory " + planted + " is writable by group or others");
    Files.setPosixFilePermissions(planted, PosixFilePermissions.fromString("rwx------"));
    Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rw-r--r--"));
    assertThatThrownBy(() -> directory.load(key.domain(), key.selector()))
        .hasMessageContaining("accessible by group or others");
  }

  @Test
  void aDomainDirectoryOwnedBySomeoneElseIsRefusedWithTheChownToRun() throws IOException {
    KeyDirectory directory = new KeyDirectory(temp.resolve("keys"));
    DkimKey key = PemKeysTest.generate(KeyAlgorithm.ED25519);
    Path keyFile = directory.store(key, key.txtRecord(3600));
    String me = Files.getOwner(keyFile).getName();
    assertThat(directory.unsafeDirectories(keyFile, me)).isEmpty();
    if (me.equals("root")) { // only root can give a directory away
      Files.setOwner(
          keyFile.getParent(),
          temp.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody"));
      assertThatThrownBy(() -> directory.load(key.domain(), key.selector()))
          .hasMessage(
              "directory "
                  + keyFile.getParent()
                  + " belongs to nobody, not to root who runs dkimrelay, and its owner could"
                  + " replace a key: run chown root "
                  + keyFile.getParent());
    } else {
      assertThat(directory.unsafeDirectories(keyFile, "dkimrelay-test-stranger"))
          .hasValueSatisfying(problem -> assertThat(problem).contains("belongs to " + me));
    }
  }

  @Test
  void aKeyOwnedBySomeoneElseIsRefusedWithTheChownToRun() throws IOException {
    KeyDirectory directory = new KeyDirectory(temp);
    DkimKey key = PemKeysTest.generate(KeyAlgorithm.ED25519);
    Path keyFile = directory.store(key, key.txtRecord(3600));
    String me = Files.getOwner(keyFile).getName();
    assertThat(KeyDirectory.unsafeOwner(keyFile, me)).isEmpty();

    // Root may give the file away; anyone else sees their own file from a stranger's side.
    String stranger = "dkimrelay-test-stranger";
    if (me.equals("root")) {
      assertThat(KeyDirectory.unsafeOwner(keyFile, stranger)).isEmpty(); // root's files are fine
      Files.setOwner(
          keyFile,
          temp.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody"));
      assertThat(KeyDirectory.unsafeOwner(keyFile, "root"))
          .hasValue(
              "private key "
                  + keyFile
                  + " belongs to nobody, not to root who runs dkimrelay: run chown root "
                  + keyFile);
      assertThatThrownBy(() -> directory.load(key.domain(), key.selector()))
          .isInstanceOf(KeyToolException.class)
          .hasMessageContaining("belongs to nobody");
    } else {
      assertThat(KeyDirectory.unsafeOwner(keyFile, stranger))
          .hasValueSatisfying(problem -> assertThat(problem).contains("belongs to " + me));
    }
  }

  @Test
  void listFindsKeysByDomainAndSelectorAndSkipsForeignFiles() throws IOException {
    KeyDirectory directory = new KeyDirectory(temp);
    DkimKey key = PemKeysTest.generate(KeyAlgorithm.ED25519);
    directory.store(key, key.txtRecord(3600));
    Files.createDirectories(temp.resolve("not a domain"));
    Files.writeString(
        temp.resolve("example.com/Not_A_Selector.key"), "x", StandardCharsets.US_ASCII);
    Files.writeString(temp.resolve("example.com/notes.md"), "x", StandardCharsets.US_ASCII);

    assertThat(directory.list())
        .containsExactly(
            new KeyDirectory.Entry(
                key.domain(), key.selector(), temp.resolve("example.com/s1.key")));
  }

  @Test
  void missingKeyNamesTheDirectoryAndTheCommandThatLists() {
    KeyDirectory directory = new KeyDirectory(temp);
    assertThatThrownBy(
            () -> directory.load(SigningDomain.parse("example.com"), Selector.parse("nope")))
        .hasMessage("no key 'nope' for example.com in " + temp + " (see 'keys list')");
  }

  private static String mode(Path path) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
  }
}
