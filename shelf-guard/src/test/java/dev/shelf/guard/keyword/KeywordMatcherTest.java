package dev.shelf.guard.keyword;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.shelf.guard.text.TextNormalizer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class KeywordMatcherTest {
  static final KeywordMatcher MATCHER =
      KeywordMatcher.compile(
          List.of(
              KeywordLibrary.of("gambling", List.of("赌博", "casino", "online casino")),
              KeywordLibrary.of("politics", List.of("法轮功", "台独")),
              KeywordLibrary.of("weapons", List.of("枪支", "rapist", "ass"))));

  @ParameterizedTest
  @ValueSource(
      strings = {
        "casino",
        "CASINO",
        "CaSiNo",
        "ＣＡＳＩＮＯ",
        "ｃａｓｉｎｏ",
        "c a s i n o",
        "c.a.s.i.n.o",
        "c-a-s-i-n-o",
        "c_a*s!i~n'o",
        "c . a . s . i . n . o",
        "ca\u200Bsi\u200Cno",
        "cásíno",
        "赌博",
        "賭博",
        "赌 博",
        "賭．博",
        "赌\u200B博",
        "赌🎲博",
        "法輪功",
        "法 轮 功",
        "臺獨",
        "台獨",
        "槍支",
        "槍\u3000支"
      })
  void evasionVariantsOfListedTermsAreCaught(String variant) {
    String text = "prefix 前文 " + variant + " 后文 suffix";
    List<KeywordMatch> found = MATCHER.findAll(text);
    assertThat(found).hasSize(1);
    KeywordMatch match = found.getFirst();
    assertThat(match.in(text)).isEqualTo(variant.strip());
    assertThat(match.start()).isEqualTo(text.indexOf(variant));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "the casinos of the world", // a longer word
        "occasinoal", // inside a word
        "class act", // 'ass' inside a word
        "the therapist said", // 'rapist' inside a word
        "c      asino", // more separators than maxGap
        "赌      博",
        "赌场和博物馆",
        "台湾独立书店", // both characters, not adjacent
        "法轮 and 功",
        "a perfectly ordinary sentence about casinoes and glass"
      })
  void nonMatchesAreNotReported(String text) {
    assertThat(MATCHER.findAll(text)).isEmpty();
  }

  @Test
  void wordBoundaryStillFindsSeparatedWords() {
    String text = "the rapist, the therapist";
    assertThat(MATCHER.findAll(text)).containsExactly(new KeywordMatch("rapist", "weapons", 4, 10));
  }

  @Test
  void reportsTermCategoryAndOriginalSpanForOverlaps() {
    String text = "Try our Online-Casino today!";
    assertThat(MATCHER.findAll(text))
        .containsExactly(
            new KeywordMatch("online casino", "gambling", 8, 21),
            new KeywordMatch("casino", "gambling", 15, 21));
  }

  @Test
  void hanTermsNeedNoBoundary() {
    assertThat(MATCHER.findAll("网上赌博网站")).containsExactly(new KeywordMatch("赌博", "gambling", 2, 4));
  }

  @Test
  void theSameTermInTwoLibrariesReportsBoth() {
    KeywordMatcher m =
        KeywordMatcher.compile(
            List.of(KeywordLibrary.of("a", List.of("毒品")), KeywordLibrary.of("b", List.of("毒 品"))));
    assertThat(m.findAll("x毒品x")).extracting(KeywordMatch::category).containsExactly("a", "b");
    assertThat(m.termCount()).isEqualTo(2);
  }

  @Test
  void badTermsFailNamingTheLibraryAndTerm() {
    assertThatThrownBy(() -> KeywordMatcher.compile(List.of(KeywordLibrary.of("x", List.of("!!")))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("x: term '!!'");
    assertThatThrownBy(
            () -> KeywordMatcher.compile(List.of(KeywordLibrary.of("x", List.of("a".repeat(65))))))
        .hasMessageContaining("limit is 64");
  }

  /** Aho-Corasick against a brute-force search over the same normalised text. */
  @Test
  void agreesWithBruteForceOnRandomOverlappingTerms() {
    Random random = new Random(7);
    String alphabet = "赌博彩票毒品";
    String noise = "賭 .\u200B";
    for (int round = 0; round < 200; round++) {
      Set<String> terms = new HashSet<>();
      for (int i = 0; i < 1 + random.nextInt(12); i++) {
        terms.add(randomString(random, alphabet, 1 + random.nextInt(4)));
      }
      KeywordMatcher m =
          KeywordMatcher.compile(List.of(KeywordLibrary.of("c", List.copyOf(terms))));
      String text = randomString(random, alphabet + noise, 200);
      assertThat(Set.copyOf(m.findAll(text)))
          .as("round %d, terms %s, text %s", round, terms, text)
          .isEqualTo(bruteForce(terms, text, m.maxGap()));
    }
  }

  static Set<KeywordMatch> bruteForce(Set<String> terms, String text, int maxGap) {
    TextNormalizer n = TextNormalizer.standard();
    StringBuilder normalised = new StringBuilder();
    List<int[]> spans = new ArrayList<>();
    int gap = 0;
    for (int i = 0; i < text.length(); ) {
      int cp = text.codePointAt(i);
      int next = i + Character.charCount(cp);
      String folded = n.fold(cp);
      if (folded.isEmpty()) {
        if (++gap == maxGap + 1) {
          normalised.append('\0');
          spans.add(new int[] {-1, -1});
        }
      } else {
        gap = 0;
        for (int k = 0; k < folded.length(); k++) {
          normalised.append(folded.charAt(k));
          spans.add(new int[] {i, next});
        }
      }
      i = next;
    }
    Set<KeywordMatch> found = new HashSet<>();
    for (String term : terms) {
      String t = n.normalize(term);
      for (int at = normalised.indexOf(t); at >= 0; at = normalised.indexOf(t, at + 1)) {
        found.add(new KeywordMatch(term, "c", spans.get(at)[0], spans.get(at + t.length() - 1)[1]));
      }
    }
    return found;
  }

  static String randomString(Random random, String alphabet, int length) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < length; i++) {
      s.append(alphabet.charAt(random.nextInt(alphabet.length())));
    }
    return s.toString();
  }
}
