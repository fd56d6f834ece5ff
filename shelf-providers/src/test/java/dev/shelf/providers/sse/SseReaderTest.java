package dev.shelf.providers.sse;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The WHATWG event-stream rules (https://html.spec.whatwg.org/multipage/server-sent-events.html),
 * each checked with the bytes delivered whole, one byte per read, and in random small fragments.
 */
class SseReaderTest {

  /** How the upstream's bytes reach the reader. */
  enum Delivery {
    WHOLE,
    ONE_BYTE,
    FRAGMENTS
  }

  /** An InputStream that hands out at most the given number of bytes per read. */
  static final class Fragmented extends InputStream {
    private final byte[] bytes;
    private final Random rnd;
    private final int maxRead;
    private int pos;

    Fragmented(byte[] bytes, long seed, int maxRead) {
      this.bytes = bytes;
      this.rnd = new Random(seed);
      this.maxRead = maxRead;
    }

    @Override
    public int read() {
      return pos < bytes.length ? bytes[pos++] & 0xff : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (pos == bytes.length) {
        return -1;
      }
      int n = Math.min(Math.min(len, bytes.length - pos), 1 + rnd.nextInt(maxRead));
      System.arraycopy(bytes, pos, b, off, n);
      pos += n;
      return n;
    }
  }

  /** An InputStream that returns exactly the given pieces, one per read. */
  static final class Pieces extends InputStream {
    private final List<byte[]> pieces = new ArrayList<>();
    private int next;

    Pieces(String... parts) {
      for (String p : parts) {
        pieces.add(p.getBytes(StandardCharsets.UTF_8));
      }
    }

    Pieces(List<byte[]> parts) {
      pieces.addAll(parts);
    }

    @Override
    public int read() {
      throw new UnsupportedOperationException();
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (next == pieces.size()) {
        return -1;
      }
      byte[] p = pieces.get(next++);
      assertThat(p.length).isLessThanOrEqualTo(len);
      System.arraycopy(p, 0, b, off, p.length);
      return p.length;
    }
  }

  static InputStream stream(byte[] bytes, Delivery delivery) {
    return switch (delivery) {
      case WHOLE -> new java.io.ByteArrayInputStream(bytes);
      case ONE_BYTE -> new Fragmented(bytes, 0, 1);
      case FRAGMENTS -> new Fragmented(bytes, bytes.length, 5);
    };
  }

  /** An event with its data as text, comparable by value (the reader's keeps bytes). */
  record Event(
      @org.jspecify.annotations.Nullable String event,
      String data,
      @org.jspecify.annotations.Nullable String id) {}

  static List<Event> readAll(InputStream in) throws IOException {
    var reader = new SseReader(in);
    var out = new ArrayList<Event>();
    SseReader.Event e;
    while ((e = reader.next()) != null) {
      out.add(new Event(e.event(), e.data(), e.id()));
    }
    assertThat(reader.next()).as("stays at end").isNull();
    return out;
  }

  static List<Event> read(String text, Delivery delivery) throws IOException {
    return readAll(stream(text.getBytes(StandardCharsets.UTF_8), delivery));
  }

  static Event data(String data) {
    return new Event(null, data, null);
  }

  @ParameterizedTest
  @EnumSource(Delivery.class)
  void lfLineEndings(Delivery d) throws IOException {
    assertThat(read("data: a\n\ndata: b\n\n", d)).containsExactly(data("a"), data("b"));
  }

  @ParameterizedTest
  @EnumSource(Delivery.class)
  void crlfLineEndings(Delivery d) throws IOException {
    assertThat(read("data: a\r\n\r\ndata: b\r\n\r\n", d)).containsExactly(data("a"), data("b"));
  }

  @ParameterizedTest
  @EnumSource(Delivery.class)
  void crLineEndings(Delivery d) throws IOException {
    assertThat(read("data: a\r\rdata: b\rdata: c\r\r", d)).containsExactly(data("a"), data("b\nc"));
  }

  @ParameterizedTest
  @EnumSource(Delivery.class)
  void mixedLineEndings(Delivery d) throws IOException {
    assertThat(read("data: a\r\ndata: b\rdata: c\n\r\n: x\r\rdata: d\n\r", d))
        .containsExactly(data("a\nb\nc"), data("d"));
  }

  /** A CR at the end of one read and its LF at the start of the next are one line end. */
  @Test
  void crlfSplitAcrossReads() throws IOException {
    assertThat(readAll(new Pieces("data: a\r", "\ndata: b\r", "\n\r", "\n")))
        .containsExactly(data("a\nb"));
    assertThat(readAll(new Pieces("data: a\r", "\n", "\r", "\ndata: c\r\n\r\n")))
        .containsExactly(data("a"), data("c"));
  }

  @ParameterizedTest
  @EnumSource(Delivery.class)
  void multiLineDataIsJoinedWithLf(Delivery d) throws IOException {
    assertThat(read("data: {\ndata:  \"a\": 1\ndata\ndata: }\n\n", d))
        .containsExactly(data("{\n \"a\": 1\n\n}"));
  }

  @ParameterizedTest
  @EnumSource(Delivery.class)
  void commentsAreIgnored(Delivery d) throws IOException {
    assertThat(
            read(
                ": keep-alive\n\n: OPENROUTER PROCESSING\n\ndata: x\n: in the middle\ndata: y\n\n:\n",
                d))
        .containsExactly(data("x\ny"));
  }

  @ParameterizedTest
  @EnumSource(Delivery.class)
  void eventAndIdFields(Delivery d) throws IOException {
    assertThat(read("event: error\nid: 7\ndata: {\"error\":1}\n\nid:\ndata: z\n\n", d))
        .containsExactly(new Event("error", "{\"error\":1}", "7"), new Event(null, "z", ""));
  }

  /** An event type without data is not dispatched, and does not leak into the next event. */
  @ParameterizedTest
  @EnumSource(Delivery.class)
  void eventTypeWithoutDataIsDropped(Delivery d) throws IOException {
    assertThat(read("event: ping\n\ndata: x\n\n", d)).containsExactly(data("x"));
  }

  @ParameterizedTest
  @EnumSource(Delivery.class)
  void onlyOneLeadingSpaceIsRemoved(Delivery d) throws IOException {
    assertThat(read("data:x\n\ndata:  y\n\ndata:\n\ndata: a:b: c\n\n", d))
        .containsExactly(data("x"), data(" y"), data(""), data("a:b: c"));
  }

  @ParameterizedTest
  @EnumSource(Delivery.class)
  void unknownFieldsAndRetryAreIgnored(Delivery d) throws IOException {
    assertThat(read("retry: 1000\nfoo: bar\nDATA: no\ndata: yes\n\n", d))
        .containsExactly(data("yes"));
  }

  /** Lenient on purpose (the spec drops it): an upstream that closes early loses no event. */
  @ParameterizedTest
  @EnumSource(Delivery.class)
  void finalEventWithoutTrailingBlankLine(Delivery d) throws IOException {
    assertThat(read("data: a\n\ndata: [DONE]", d)).containsExactly(data("a"), data("[DONE]"));
    assertThat(read("data: a\n\ndata: b\ndata: c\n", d)).containsExactly(data("a"), data("b\nc"));
  }

  @ParameterizedTest
  @EnumSource(Delivery.class)
  void emptyAndCommentOnlyStreams(Delivery d) throws IOException {
    assertThat(read("", d)).isEmpty();
    assertThat(read("\n\n\r\n: hi\n", d)).isEmpty();
  }

  @ParameterizedTest
  @EnumSource(Delivery.class)
  void multibyteUtf8(Delivery d) throws IOException {
    String text = "\u4f60\u597d, caf\u00e9 \ud83d\ude42 \u20ac";
    assertThat(read("event: \u00e9v\ndata: " + text + "\n\n", d))
        .containsExactly(new Event("\u00e9v", text, null));
  }

  /** Every split point inside a 4-byte character (an emoji) keeps the character whole. */
  @Test
  void multibyteCharSplitAtEveryByte() throws IOException {
    byte[] all = "data: \ud83d\ude42!\n\n".getBytes(StandardCharsets.UTF_8);
    for (int cut = 1; cut < all.length; cut++) {
      var parts =
          List.of(
              java.util.Arrays.copyOf(all, cut),
              java.util.Arrays.copyOfRange(all, cut, all.length));
      assertThat(readAll(new Pieces(parts)))
          .as("cut at %d", cut)
          .containsExactly(data("\ud83d\ude42!"));
    }
  }

  @Test
  void longLinesGrowTheBuffer() throws IOException {
    String big = "x".repeat(100_000);
    assertThat(
            readAll(
                stream(
                    ("data: " + big + "\n\n").getBytes(StandardCharsets.UTF_8),
                    Delivery.FRAGMENTS)))
        .containsExactly(data(big));
  }

  // ------------------------------------------------------------------------------------- fuzz

  private static final String[] ALPHABET = {
    "a", "b", "Z", "0", " ", ":", "{", "}", "\"", "\u00e9", "\u4f60", "\ud83d\ude42", "data", "\t"
  };

  private static String randomText(Random rnd, int max) {
    var sb = new StringBuilder();
    int n = rnd.nextInt(max + 1);
    for (int i = 0; i < n; i++) {
      sb.append(ALPHABET[rnd.nextInt(ALPHABET.length)]);
    }
    return sb.toString();
  }

  /** Writes lines with random endings; a CR is never followed by a line that starts with LF. */
  private static final class Framer {
    private final Random rnd;
    private final StringBuilder out = new StringBuilder();
    private boolean lastWasCr;

    Framer(Random rnd) {
      this.rnd = rnd;
    }

    void line(String content) {
      out.append(content);
      String end;
      do {
        end = new String[] {"\n", "\r\n", "\r"}[rnd.nextInt(3)];
      } while (lastWasCr && content.isEmpty() && end.startsWith("\n"));
      out.append(end);
      lastWasCr = end.equals("\r");
    }

    void maybeNoise() {
      if (rnd.nextInt(4) == 0) {
        line(":" + randomText(rnd, 6));
      }
      if (rnd.nextInt(10) == 0) {
        line("retry: " + rnd.nextInt(5000));
      }
    }
  }

  /**
   * Frames random events (types, ids, multi-line data with colons, spaces and multibyte text,
   * comments between lines, random line endings, both data: forms), splits the bytes at random
   * points, and checks the reader returns exactly those events.
   */
  @ParameterizedTest
  @ValueSource(longs = {1L, 2L, 3L, 4L, 5L, 20260101L})
  void fuzzRandomEventsRandomSplits(long seed) throws IOException {
    var rnd = new Random(seed);
    for (int round = 0; round < 300; round++) {
      var expected = new ArrayList<Event>();
      var f = new Framer(rnd);
      int events = rnd.nextInt(6);
      for (int i = 0; i < events; i++) {
        // Blank lines and comments between events dispatch nothing.
        while (rnd.nextInt(4) == 0) {
          f.line("");
        }
        f.maybeNoise();
        @Nullable String type = rnd.nextBoolean() ? null : "t" + rnd.nextInt(100);
        @Nullable String id = rnd.nextInt(3) == 0 ? "id-" + randomText(rnd, 3) : null;
        var lines = new ArrayList<String>();
        int n = 1 + rnd.nextInt(4);
        for (int k = 0; k < n; k++) {
          lines.add(randomText(rnd, 12));
        }
        var fields = new ArrayList<String>();
        if (type != null) {
          fields.add("event: " + type);
        }
        if (id != null) {
          fields.add("id: " + id);
        }
        for (String l : lines) {
          // "data:" without the space only when the value does not itself start with a space.
          fields.add((l.startsWith(" ") || rnd.nextBoolean() ? "data: " : "data:") + l);
        }
        java.util.Collections.shuffle(fields.subList(0, fields.size() - lines.size()), rnd);
        for (String field : fields) {
          f.line(field);
          f.maybeNoise();
        }
        boolean last = i == events - 1;
        if (!last || rnd.nextBoolean()) {
          f.line("");
        }
        expected.add(new Event(type, String.join("\n", lines), id));
      }
      byte[] bytes = f.out.toString().getBytes(StandardCharsets.UTF_8);
      assertThat(readAll(new Fragmented(bytes, rnd.nextLong(), 1 + rnd.nextInt(9))))
          .as("round %d: %s", round, f.out.toString().replace("\r", "\\r").replace("\n", "\\n"))
          .containsExactlyElementsOf(expected);
    }
  }

  @Test
  void fuzzArbitraryBytesNeverThrow() throws IOException {
    var rnd = new Random(99);
    for (int i = 0; i < 500; i++) {
      var bytes = new ByteArrayOutputStream();
      int n = rnd.nextInt(200);
      byte[] pool = ":\r\n data event id \u00ff".getBytes(StandardCharsets.UTF_8);
      for (int k = 0; k < n; k++) {
        bytes.write(rnd.nextInt(5) == 0 ? rnd.nextInt(256) : pool[rnd.nextInt(pool.length)]);
      }
      byte[] all = bytes.toByteArray();
      // Whole and fragmented delivery must agree.
      assertThat(readAll(new Fragmented(all, i, 3)))
          .isEqualTo(readAll(new java.io.ByteArrayInputStream(all)));
    }
  }
}
