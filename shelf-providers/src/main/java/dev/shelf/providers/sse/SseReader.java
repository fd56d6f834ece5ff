package dev.shelf.providers.sse;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * Reads Server-Sent Events from a byte stream, per the WHATWG event-stream grammar: lines end in
 * LF, CRLF or CR (a CRLF split across two reads is still one line end); {@code :} starts a comment
 * (keep-alives); {@code data:} lines of one event are joined with LF; a blank line dispatches; a
 * byte order mark before the first line is dropped. Event data stay bytes until asked for as text,
 * so a character split across reads is never broken and JSON parsers can read the bytes directly.
 *
 * <p>This sits on the streaming hot path (every chunk of every answer), so lines are found by
 * scanning the read buffer and copied in bulk, not byte by byte.
 */
public final class SseReader {
  /** One dispatched event. {@code event} is null for the default "message" type. */
  public record Event(@Nullable String event, byte[] bytes, @Nullable String id) {
    /** The data as text (UTF-8). */
    public String data() {
      return new String(bytes, StandardCharsets.UTF_8);
    }

    /** Whether the data is exactly {@code [DONE]}, OpenAI's end-of-stream marker. */
    public boolean isDone() {
      return Arrays.equals(bytes, DONE);
    }
  }

  private static final byte[] DONE = "[DONE]".getBytes(StandardCharsets.US_ASCII);
  private static final int MAX_LINE = 16 * 1024 * 1024;

  private final InputStream in;
  private final byte[] buf = new byte[8192];
  private int pos;
  private int limit;
  private boolean skipLf;
  private boolean firstLine = true;
  private byte[] line = new byte[512];
  private int lineLen;

  public SseReader(InputStream in) {
    this.in = in;
  }

  /** The next event, or null at the end of the stream. */
  public @Nullable Event next() throws IOException {
    String eventType = null;
    String id = null;
    ByteArrayOutputStream data = null;
    while (true) {
      if (!readLine()) {
        // End of stream: a final event without its blank line is still dispatched.
        return data == null ? null : new Event(eventType, data.toByteArray(), id);
      }
      int start = 0;
      if (firstLine) {
        firstLine = false;
        if (lineLen >= 3
            && line[0] == (byte) 0xEF
            && line[1] == (byte) 0xBB
            && line[2] == (byte) 0xBF) {
          start = 3;
        }
      }
      int len = lineLen - start;
      if (len == 0) {
        if (data != null) {
          return new Event(eventType, data.toByteArray(), id);
        }
        eventType = null;
        continue;
      }
      if (line[start] == ':') {
        continue; // a comment, e.g. a keep-alive
      }
      int colon = indexOf(line, start, lineLen, (byte) ':');
      int fieldEnd = colon < 0 ? lineLen : colon;
      int valueStart = lineLen;
      if (colon >= 0) {
        valueStart = colon + 1;
        if (valueStart < lineLen && line[valueStart] == ' ') {
          valueStart++;
        }
      }
      if (is(line, start, fieldEnd, "data")) {
        if (data == null) {
          data = new ByteArrayOutputStream(lineLen - valueStart);
        } else {
          data.write('\n');
        }
        data.write(line, valueStart, lineLen - valueStart);
      } else if (is(line, start, fieldEnd, "event")) {
        eventType = text(valueStart);
      } else if (is(line, start, fieldEnd, "id")) {
        id = text(valueStart);
      }
      // retry and unknown fields are ignored, as the spec says
    }
  }

  /** Reads one line into {@link #line}; false at the end of the stream with nothing read. */
  private boolean readLine() throws IOException {
    lineLen = 0;
    while (true) {
      if (pos == limit) {
        int n = in.read(buf, 0, buf.length);
        if (n <= 0) {
          pos = limit = 0;
          return lineLen > 0;
        }
        pos = 0;
        limit = n;
      }
      if (skipLf) {
        skipLf = false;
        if (buf[pos] == '\n') {
          pos++;
          continue;
        }
      }
      int i = pos;
      while (i < limit && buf[i] != '\n' && buf[i] != '\r') {
        i++;
      }
      append(buf, pos, i - pos);
      if (i < limit) {
        skipLf = buf[i] == '\r';
        pos = i + 1;
        return true;
      }
      pos = limit;
    }
  }

  private void append(byte[] src, int from, int n) throws IOException {
    if (lineLen + n > line.length) {
      if (lineLen + n > MAX_LINE) {
        throw new IOException("SSE line longer than 16 MiB");
      }
      line = Arrays.copyOf(line, Math.max(line.length * 2, lineLen + n));
    }
    System.arraycopy(src, from, line, lineLen, n);
    lineLen += n;
  }

  private String text(int from) {
    return new String(line, from, lineLen - from, StandardCharsets.UTF_8);
  }

  private static int indexOf(byte[] a, int from, int to, byte b) {
    for (int i = from; i < to; i++) {
      if (a[i] == b) {
        return i;
      }
    }
    return -1;
  }

  private static boolean is(byte[] a, int from, int to, String field) {
    if (to - from != field.length()) {
      return false;
    }
    for (int i = 0; i < field.length(); i++) {
      if (a[from + i] != field.charAt(i)) {
        return false;
      }
    }
    return true;
  }
}
