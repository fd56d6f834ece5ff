package dev.shelf.guard.bench;

import dev.shelf.guard.keyword.KeywordLibrary;
import dev.shelf.guard.keyword.KeywordMatcher;
import dev.shelf.guard.keyword.StreamFilter;
import dev.shelf.guard.text.TextNormalizer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Keyword matching throughput: 20,000 distinct generated terms (half Chinese of 2-6 characters,
 * half Latin of 4-8) over 1,000,000 characters of generated mixed text with a few thousand planted
 * terms, some with inserted separators or in full width.
 *
 * <pre>
 * ./mvnw -q -pl shelf-guard compile
 * java -cp shelf-guard/target/classes dev.shelf.guard.bench.GuardBench [terms] [chars] [seconds]
 * </pre>
 *
 * <p>Reports the best of several timed passes in MB/s (UTF-8 bytes of the text) and Mchars/s, for
 * the one-pass matcher, for the stream filter fed 16-character deltas, and, as the in-process
 * baseline, for normalisation alone (the cost floor every matcher pays).
 */
public final class GuardBench {
  private GuardBench() {}

  public static void main(String[] args) {
    int termCount = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
    int chars = args.length > 1 ? Integer.parseInt(args[1]) : 1_000_000;
    double seconds = args.length > 2 ? Double.parseDouble(args[2]) : 3;
    Random random = new Random(42);
    StringBuilder hanChars = new StringBuilder();
    for (char c = '\u4E00'; c < '\u4E00' + 3000; c++) {
      hanChars.append(c); // a "common characters" stand-in: terms rarely occur by chance
    }
    String han = hanChars.toString();
    java.util.Set<String> unique = new java.util.LinkedHashSet<>();
    while (unique.size() < termCount) {
      boolean chinese = unique.size() % 2 == 0;
      int length = chinese ? 2 + random.nextInt(5) : 4 + random.nextInt(5);
      StringBuilder term = new StringBuilder();
      for (int k = 0; k < length; k++) {
        term.append(
            chinese ? han.charAt(random.nextInt(han.length())) : (char) ('a' + random.nextInt(26)));
      }
      unique.add(term.toString());
    }
    List<String> terms = new ArrayList<>(unique);
    long compileStart = System.nanoTime();
    KeywordMatcher matcher = KeywordMatcher.compile(List.of(KeywordLibrary.of("bench", terms)));
    double compileMs = (System.nanoTime() - compileStart) / 1e6;

    StringBuilder text = new StringBuilder(chars + 64);
    while (text.length() < chars) {
      int r = random.nextInt(100);
      if (r < 45) {
        text.append(han.charAt(random.nextInt(han.length())));
      } else if (r < 85) {
        int word = 1 + random.nextInt(9);
        for (int k = 0; k < word; k++) {
          text.append((char) ('a' + random.nextInt(26)));
        }
        text.append(' ');
      } else if (r < 95) {
        text.append("，。、 .,!?".charAt(random.nextInt(8)));
      } else if (r < 99) {
        text.append(random.nextInt(10));
      } else {
        String term = terms.get(random.nextInt(terms.size()));
        text.append(' ')
            .append(random.nextBoolean() ? String.join(" ", term.split("")) : term)
            .append(' ');
      }
    }
    text.setLength(chars);
    String input = text.toString();
    double mb = input.getBytes(StandardCharsets.UTF_8).length / 1e6;

    int[] matches = new int[1];
    double matchS = best(seconds, () -> matches[0] = matcher.findAll(input).size());
    int[] blocks = new int[1];
    double streamS =
        best(
            seconds,
            () -> {
              blocks[0] = 0;
              StreamFilter filter = matcher.streamFilter();
              for (int i = 0; i < input.length(); i += 16) {
                String delta = input.substring(i, Math.min(input.length(), i + 16));
                if (filter.accept(delta).isBlocked()) {
                  blocks[0]++;
                  filter = matcher.streamFilter(); // a new stream after each block
                }
              }
              filter.finish();
            });
    TextNormalizer normalizer = TextNormalizer.standard();
    int[] sink = new int[1];
    double normS = best(seconds, () -> sink[0] += normalizer.normalize(input).length());

    System.out.printf(
        "terms %,d (%,d states, compiled in %.0f ms), text %,d chars = %.2f MB UTF-8, %,d matches%n",
        matcher.termCount(), matcher.stateCount(), compileMs, input.length(), mb, matches[0]);
    System.out.printf(
        "findAll:              %7.1f MB/s  %6.2f Mchars/s%n", mb / matchS, chars / matchS / 1e6);
    System.out.printf(
        "stream filter (16ch): %7.1f MB/s  (%,d blocks, a fresh filter after each)%n",
        mb / streamS, blocks[0]);
    System.out.printf(
        "normalise only:       %7.1f MB/s  (baseline; findAll / normalise = %.2f)%n",
        mb / normS, normS / matchS);
    if (sink[0] == 42) {
      System.out.println(); // keeps the baseline from being optimised away
    }
  }

  private static double best(double seconds, Runnable pass) {
    for (int i = 0; i < 3; i++) {
      pass.run(); // warm-up
    }
    double best = Double.MAX_VALUE;
    long end = System.nanoTime() + (long) (seconds * 1e9);
    int runs = 0;
    while (runs < 3 || System.nanoTime() < end) {
      long start = System.nanoTime();
      pass.run();
      best = Math.min(best, (System.nanoTime() - start) / 1e9);
      runs++;
    }
    return best;
  }
}
