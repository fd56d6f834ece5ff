package dev.shelf.guard.label;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.shelf.guard.label.LabelSigner.Verdict;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class LabelSignerTest {
  private static final byte[] KEY = new byte[32];
  private static final byte[] OTHER_KEY = new byte[32];

  static {
    Arrays.fill(KEY, (byte) 7);
    Arrays.fill(OTHER_KEY, (byte) 8);
  }

  private static final LabelSigner SIGNER = new LabelSigner(KEY);
  private static final String TEXT = "Hello, wörld! 你好\n\nThe answer is 42.";
  private static final AigcLabel SIGNED = SIGNER.sign(AigcLabel.generated("Shelf", "req-1"), TEXT);

  @Test
  void aSignedLabelVerifiesForItsTextAfterAJsonRoundTrip() {
    assertThat(SIGNED.reservedCode1()).matches("shelf1\\.[A-Za-z0-9_-]{22}\\.[A-Za-z0-9_-]{43}");
    var v = SIGNER.verify(AigcLabel.parse(SIGNED.headerValue()), TEXT);
    assertThat(v.verdict()).isEqualTo(Verdict.VALID);
    assertThat(v.valid()).isTrue();
    assertThat(new LabelSigner(KEY.clone()).verify(SIGNED, TEXT).valid()).isTrue(); // same key
  }

  @Test
  void oneChangedCharacterIsTampering() {
    for (int i = 0; i < TEXT.length(); i++) {
      char c = TEXT.charAt(i);
      String changed = TEXT.substring(0, i) + (char) (c + 1) + TEXT.substring(i + 1);
      assertThat(SIGNER.verify(SIGNED, changed).verdict())
          .as("at %d", i)
          .isEqualTo(Verdict.TAMPERED);
    }
  }

  @Test
  void whitespaceChangesAreTampering() {
    for (String changed :
        new String[] {
          TEXT + " ", " " + TEXT, TEXT + "\n", TEXT.replace("\n\n", "\n"), TEXT.replace(", ", ",  ")
        }) {
      assertThat(SIGNER.verify(SIGNED, changed).verdict()).isEqualTo(Verdict.TAMPERED);
    }
    assertThat(SIGNER.verify(SIGNED, "").verdict()).isEqualTo(Verdict.TAMPERED);
  }

  @Test
  void onlyUnicodeNormalisationIsForgiven() {
    String nfc = "café";
    String nfd = "cafe\u0301";
    AigcLabel l = SIGNER.sign(AigcLabel.generated("Shelf", "r"), nfc);
    assertThat(SIGNER.verify(l, nfd).valid()).isTrue();
  }

  @Test
  void anotherKeysLabelIsForeign() {
    AigcLabel theirs = new LabelSigner(OTHER_KEY).sign(AigcLabel.generated("Shelf", "req-1"), TEXT);
    var v = SIGNER.verify(theirs, TEXT);
    assertThat(v.verdict()).isEqualTo(Verdict.FOREIGN);
    assertThat(v.reason()).contains("another key");
  }

  @Test
  void changingASignedFieldMakesTheLabelForeignButPropagatorFieldsAreFree() {
    var moved =
        new AigcLabel(
            "1", "Shelf", "req-2", SIGNED.reservedCode1(), "", "", ""); // ProduceID changed
    assertThat(SIGNER.verify(moved, TEXT).verdict()).isEqualTo(Verdict.FOREIGN);
    var relabelled = new AigcLabel("2", "Shelf", "req-1", SIGNED.reservedCode1(), "", "", "");
    assertThat(SIGNER.verify(relabelled, TEXT).verdict()).isEqualTo(Verdict.FOREIGN);
    var otherProducer = new AigcLabel("1", "Shelf2", "req-1", SIGNED.reservedCode1(), "", "", "");
    assertThat(SIGNER.verify(otherProducer, TEXT).verdict()).isEqualTo(Verdict.FOREIGN);

    var propagated =
        new AigcLabel("1", "Shelf", "req-1", SIGNED.reservedCode1(), "A platform", "p-9", "x");
    assertThat(SIGNER.verify(propagated, TEXT).valid()).isTrue();
  }

  @Test
  void aChangedTextTagIsTamperingAndGarbageIsForeign() {
    String code = SIGNED.reservedCode1();
    char last = code.charAt(code.length() - 2);
    String flipped =
        code.substring(0, code.length() - 2)
            + (last == 'A' ? 'B' : 'A')
            + code.charAt(code.length() - 1);
    assertThat(SIGNER.verify(SIGNED.withReservedCode1(flipped), TEXT).verdict())
        .isEqualTo(Verdict.TAMPERED);

    for (String bad :
        new String[] {
          "",
          "shelf1",
          "shelf1.",
          "shelf1.!!!",
          "shelf2." + code.substring(7),
          code + ".more",
          code.substring(0, code.lastIndexOf('.')) + ".short"
        }) {
      assertThat(SIGNER.verify(SIGNED.withReservedCode1(bad), TEXT).verdict())
          .as(bad)
          .isEqualTo(Verdict.FOREIGN);
    }
  }

  @Test
  void aStampedHeaderLabelIsOursButSignsNoText() {
    AigcLabel stamped = SIGNER.stamp(AigcLabel.generated("Shelf", "req-1"));
    assertThat(SIGNED.reservedCode1()).startsWith(stamped.reservedCode1() + ".");
    var v = SIGNER.verify(stamped, TEXT);
    assertThat(v.verdict()).isEqualTo(Verdict.FOREIGN);
    assertThat(v.reason()).contains("no text signature");
    assertThat(Verdict.FOREIGN.wire()).isEqualTo("foreign");
  }

  @Test
  void sealingAStampedLabelIsSigningIt() {
    AigcLabel unsigned = AigcLabel.generated("Shelf", "req-1");

    AigcLabel sealed = SIGNER.seal(SIGNER.stamp(unsigned), TEXT);

    assertThat(sealed).isEqualTo(SIGNER.sign(unsigned, TEXT));
    assertThat(SIGNER.verify(sealed, TEXT).verdict()).isEqualTo(Verdict.VALID);
    assertThatThrownBy(() -> SIGNER.seal(unsigned, TEXT)).hasMessageContaining("not a stamped");
    assertThatThrownBy(() -> SIGNER.seal(sealed, TEXT)).hasMessageContaining("not a stamped");
  }

  @Test
  void shortKeysAreRefused() {
    assertThatThrownBy(() -> new LabelSigner(new byte[16])).hasMessageContaining("but was 16");
  }
}
