package dev.shelf.providers.sse;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/**
 * Reads Server-Sent Events from a byte stream, per the WHATWG event-stream grammar: lines end in
 * LF, CRLF or CR (a CRLF split across two reads is still one line end); {@code :} starts a comment
 * (keep-alives); {@code data:} lines of one event are joined with LF; a blank line dispatches.
 * Lines are decoded as UTF-8 only once whole, so a character split across reads is never broken.
 */
public final class SseReader {
  /** One dispatched event. {@code event} is null for the default "message" type. */
  public record Event(@Nullable String event, String data, @Nullable String id) {}

  private final InputStream in;
  private final byte[] buf = new byte[8192];
  private int pos;
  private int limit;
  private boolean skipLf;
  private byte[] line = new byte[256];
  private int lineLen;

  public SseReader(InputStream in) {
    this.in = in;
  }

  /** The next event, or null at the end of the stream. */
  public @Nullable Event next() throws IOException {
    String eventType = null;
    String id = null;
    StringBuilder data = null;
    while (true) {
      String l = readLine();
      if (l == null) {
        // End of stream: a final event without its blank line is still dispatched.
        return data == null ? null : new Event(eventType, data.toString(), id);
      }
      if (l.isEmpty()) {
        if (data != null) {
          return new Event(eventType, data.toString(), id);
        }
        eventType = null;
        continue;
      }
      if (l.charAt(0) == ':') {
        continue;
      }
      int colon = l.indexOf(':');
      String field = colon < 0 ? l : l.substring(0, colon);
      String value = "";
      if (colon >= 0) {
        int start = colon + 1;
        if (start < l.length() && l.charAt(start) == ' ') {
          start++;
        }
        value = l.substring(start);
      }
      switch (field) {
        case "data" -> {
          if (data == null) {
            data = new StringBuilder(value.length());
          } else {
            data.append('\n');
          }
          data.append(value);
        }
        case "event" -> eventType = value;
        case "id" -> id = value;
        default -> {} // retry and unknown fields are ignored, as the spec says
      }
    }
  }

  private @Nullable String readLine() throws IOException {
    lineLen = 0;
    while (true) {
      if (pos == limit) {
        limit = in.read(buf, 0, buf.length);
        pos = 0;
        if (limit <= 0) {
          limit = 0;
          return lineLen == 0 ? null : decodeLine();
        }
      }
      byte b = buf[pos++];
      if (skipLf) {
        skipLf = false;
        if (b == '\n') {
          continue;
        }
      }
      if (b == '\n') {
        return decodeLine();
      }
      if (b == '\r') {
        skipLf = true;
        return decodeLine();
      }
      if (lineLen == line.length) {
        if (line.length >= 16 * 1024 * 1024) {
          throw new IOException("SSE line longer than 16 MiB");
        }
        line = java.util.Arrays.copyOf(line, line.length * 2);
      }
      line[lineLen++] = b;
    }
  }

  private String decodeLine() {
    return new String(line, 0, lineLen, StandardCharsets.UTF_8);
  }
}
