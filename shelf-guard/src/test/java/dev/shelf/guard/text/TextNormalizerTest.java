package dev.shelf.guard.text;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TextNormalizerTest {
  private final TextNormalizer n = TextNormalizer.standard();

  @Test
  void foldsWidthCaseAccentsAndSeparators() {
    assertThat(n.normalize("ＣＡＳＩＮＯ")).isEqualTo("casino");
    assertThat(n.normalize("C a-s.i_n/o")).isEqualTo("casino");
    assertThat(n.normalize("ca\u200Bsi\u200Dno\uFEFF")).isEqualTo("casino");
    assertThat(n.normalize("cásíño")).isEqualTo("casino");
    assertThat(n.normalize("c\u0336a\u0336s\u0336ino")).isEqualTo("casino");
    assertThat(n.normalize("Straße")).isEqualTo("strasse");
    assertThat(n.normalize("①②３")).isEqualTo("123");
    assertThat(n.normalize("赌\u3000博！")).isEqualTo("赌博");
    assertThat(n.normalize("🔥x🔥")).isEqualTo("x");
  }

  @Test
  void foldsTraditionalToSimplified() {
    assertThat(n.normalize("賭博")).isEqualTo("赌博");
    assertThat(n.normalize("法輪功")).isEqualTo("法轮功");
    assertThat(n.normalize("臺獨")).isEqualTo("台独");
    assertThat(n.normalize("槍支")).isEqualTo("枪支");
    assertThat(ChineseVariants.builtIn().size()).isGreaterThan(500);
  }

  @Test
  void offsetsPointAtTheOriginal() {
    NormalizedText t = n.normalizeWithOffsets("a ＢC𝐃");
    assertThat(t.text()).isEqualTo("abcd");
    assertThat(t.originalSpan(1, 3)).containsExactly(2, 4);
    assertThat(t.originalSpan(3, 4)).containsExactly(4, 6); // a surrogate pair
  }

  @Test
  void wordCodePointsAreThoseOfScriptsWithSpaces() {
    assertThat(TextNormalizer.isWordCodePoint('a')).isTrue();
    assertThat(TextNormalizer.isWordCodePoint('7')).isTrue();
    assertThat(TextNormalizer.isWordCodePoint('ж')).isTrue();
    assertThat(TextNormalizer.isWordCodePoint('赌')).isFalse();
    assertThat(TextNormalizer.isWordCodePoint('カ')).isFalse();
    assertThat(TextNormalizer.isWordCodePoint(' ')).isFalse();
  }
}
