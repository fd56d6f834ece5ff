package dev.shelf.guard.keyword;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shelf.guard.text.TextNormalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class StreamFilterTest {
  private static final KeywordMatcher MATCHER = KeywordMatcherTest.MATCHER;

  /** Feeds the chunks; returns what reached the client and the block, if any. */
  record Outcome(String emitted, @Nullable KeywordMatch blocked, int maxHeld) {}

  static Outcome run(KeywordMatcher matcher, List<String> chunks) {
    StreamFilter filter = matcher.streamFilter();
    StringBuilder emitted = new StringBuilder();
    for (String chunk : chunks) {
      StreamFilter.Step step = filter.accept(chunk);
      emitted.append(step.text());
      if (step.isBlocked()) {
        return new Outcome(emitted.toString(), step.blocked(), filter.maxHeldChars());
      }
    }
    StreamFilter.Step end = filter.finish();
    emitted.append(end.text());
    return new Outcome(emitted.toString(), end.blocked(), filter.maxHeldChars());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"casino", "CaSiNo", "c . a . s . i . n . o", "ｃａｓｉｎｏ", "賭．博", "法 輪 功", "臺獨", "槍支"})
  void aBlockedTermSplitAtEveryPointNeverReachesTheClient(String term) {
    String text = "Sure, here is some text. And then " + term + " and more text after it.";
    int termStart = text.indexOf(term);
    List<List<String>> splits = new ArrayList<>();
    for (int i = 0; i <= text.length(); i++) {
      splits.add(List.of(text.substring(0, i), text.substring(i)));
      for (int j = i; j <= text.length(); j++) {
        if (i >= termStart - 2 && j <= termStart + term.length() + 2) {
          splits.add(List.of(text.substring(0, i), text.substring(i, j), text.substring(j)));
        }
      }
    }
    List<String> oneByOne = new ArrayList<>();
    text.codePoints().forEach(cp -> oneByOne.add(Character.toString(cp)));
    splits.add(oneByOne);
    for (List<String> chunks : splits) {
      Outcome outcome = run(MATCHER, chunks);
      KeywordMatch blocked = outcome.blocked();
      assertThat(blocked).as("chunks %s", chunks).isNotNull();
      assertThat(Objects.requireNonNull(blocked).start()).isEqualTo(termStart);
      assertThat(outcome.emitted().length()).as("chunks %s", chunks).isLessThanOrEqualTo(termStart);
      assertThat(text).startsWith(outcome.emitted());
    }
  }

  @Test
  void benignTextPassesThroughWholeAndEarly() {
    String text = "Casinos are not mentioned; the therapist is; 赌场 and 博物馆 are fine. A class act.";
    for (int i = 0; i <= text.length(); i++) {
      Outcome outcome = run(MATCHER, List.of(text.substring(0, i), text.substring(i)));
      assertThat(outcome.blocked()).isNull();
      assertThat(outcome.emitted()).isEqualTo(text);
    }
    StreamFilter filter = MATCHER.streamFilter();
    assertThat(filter.accept("Hello there. ").text()).isEqualTo("Hello there. ");
    assertThat(filter.heldChars()).isZero();
    assertThat(filter.accept("The cas").text()).isEqualTo("The ");
    assertThat(filter.heldChars()).isEqualTo(3);
    assertThat(filter.accept("ual").text()).isEqualTo("casual");
  }

  @Test
  void aLatinTermAtTheEndWaitsForItsWordBoundary() {
    StreamFilter filter = MATCHER.streamFilter();
    assertThat(filter.accept("the casino").text()).isEqualTo("the ");
    assertThat(filter.accept("s are").text()).isEqualTo("casinos are");
    assertThat(filter.blocked()).isNull();

    StreamFilter ending = MATCHER.streamFilter();
    assertThat(ending.accept("the casino").text()).isEqualTo("the ");
    StreamFilter.Step end = ending.finish();
    assertThat(end.isBlocked()).isTrue();
    assertThat(end.text()).isEmpty();
    assertThat(end.blocked()).isEqualTo(new KeywordMatch("casino", "gambling", 4, 10));
  }

  @Test
  void afterABlockEveryCallAnswersTheSameBlock() {
    StreamFilter filter = MATCHER.streamFilter();
    StreamFilter.Step step = filter.accept("买 枪支 吗");
    assertThat(step.isBlocked()).isTrue();
    assertThat(filter.accept("more").blocked()).isEqualTo(step.blocked());
    assertThat(filter.finish().blocked()).isEqualTo(step.blocked());
  }

  /**
   * After every delta the emitted prefix is exactly what an oracle says is safe: everything before
   * the earliest position from which the received text (normalised, gaps honoured) still begins a
   * listed term. Emitting one character more could leak part of a term the next delta completes.
   */
  @Test
  void theEmittedPrefixIsMaximalAndTheHoldBackBounded() {
    List<String> terms = List.of("赌博网站", "毒品交易", "博彩", "网站", "六合彩票", "彩票站点");
    KeywordMatcher m = KeywordMatcher.compile(List.of(KeywordLibrary.of("c", terms)));
    Random random = new Random(11);
    String alphabet = "赌博网站毒品交易六合彩票点 ..,\u200B我";
    int maxHeld = 0;
    int checked = 0;
    for (int round = 0; round < 300; round++) {
      String text = KeywordMatcherTest.randomString(random, alphabet, 60);
      if (m.matches(text)) {
        continue;
      }
      StreamFilter filter = m.streamFilter();
      StringBuilder received = new StringBuilder();
      StringBuilder emitted = new StringBuilder();
      int at = 0;
      while (at < text.length()) {
        int next = Math.min(text.length(), at + 1 + random.nextInt(5));
        received.append(text, at, next);
        StreamFilter.Step step = filter.accept(text.substring(at, next));
        assertThat(step.isBlocked()).isFalse();
        emitted.append(step.text());
        assertThat(emitted.length())
            .as("text %s after %d chars", text, next)
            .isEqualTo(safePrefix(m, terms, received.toString()));
        int heldCodePoints = received.codePointCount(emitted.length(), received.length());
        assertThat(heldCodePoints).isLessThanOrEqualTo(m.holdBackBound());
        maxHeld = Math.max(maxHeld, heldCodePoints);
        at = next;
        checked++;
      }
      emitted.append(filter.finish().text());
      assertThat(emitted.toString()).isEqualTo(text);
    }
    assertThat(checked).isGreaterThan(1000);
    assertThat(maxHeld).isGreaterThan(3); // separators inside a live prefix are held too
  }

  @Test
  void theHoldBackBoundIsReachedBySeparatedPrefixes() {
    KeywordMatcher m = KeywordMatcher.compile(List.of(KeywordLibrary.of("c", List.of("abcde"))));
    assertThat(m.holdBackBound()).isEqualTo(5 + 4 * KeywordMatcher.DEFAULT_MAX_GAP);
    StreamFilter filter = m.streamFilter();
    String prefix = "a    b    c    d    ";
    assertThat(filter.accept("x " + prefix).text()).isEqualTo("x ");
    assertThat(filter.heldChars()).isEqualTo(prefix.length());
    assertThat(filter.accept("e").isBlocked()).isFalse(); // pending the boundary
    assertThat(filter.heldChars()).isEqualTo(m.holdBackBound());
    assertThat(filter.accept(".").isBlocked()).isTrue();
  }

  private static int safePrefix(KeywordMatcher m, List<String> terms, String received) {
    TextNormalizer n = TextNormalizer.standard();
    for (int i = 0; i < received.length(); i++) {
      if (n.isIgnorable(received.charAt(i))) {
        continue;
      }
      StringBuilder normalised = new StringBuilder();
      int gap = 0;
      boolean broken = false;
      for (int j = i; j < received.length(); j++) {
        String folded = n.fold(received.charAt(j));
        if (folded.isEmpty()) {
          if (++gap > m.maxGap()) {
            broken = true;
            break;
          }
        } else {
          gap = 0;
          normalised.append(folded);
        }
      }
      if (broken) {
        continue;
      }
      for (String term : terms) {
        if (n.normalize(term).startsWith(normalised.toString())) {
          return i;
        }
      }
    }
    return received.length();
  }
}
