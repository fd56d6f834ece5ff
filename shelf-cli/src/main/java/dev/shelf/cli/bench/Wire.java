package dev.shelf.cli.bench;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The little HTTP/1.1 reading the stub and the load generator need, over one buffer per connection
 * and without allocating per request: lines (request line, status line, headers, chunk sizes) are
 * read into a reusable byte array and matched in place; bodies are consumed straight from the
 * buffer. Header names are compared case-insensitively against lower-case ASCII.
 */
final class Wire {
  private final InputStream in;
  final byte[] buf;
  int pos;
  int lim;
  private byte[] line = new byte[256];
  int lineLen;

  Wire(InputStream in, int bufferSize) {
    this.in = in;
    this.buf = new byte[bufferSize];
  }

  static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  /**
   * Makes bytes available in {@code buf[pos, lim)}; returns how many, or -1 at the end of the
   * stream.
   */
  int available() throws IOException {
    if (pos == lim) {
      int n = in.read(buf, 0, buf.length);
      pos = 0;
      if (n <= 0) {
        lim = 0;
        return -1;
      }
      lim = n;
    }
    return lim - pos;
  }

  /**
   * Reads one line, without its CRLF (or bare LF), into the line buffer. Returns false at a clean
   * end of stream before the line began; an end of stream inside a line is an {@link EOFException}.
   */
  boolean readLine() throws IOException {
    lineLen = 0;
    while (true) {
      if (available() < 0) {
        if (lineLen == 0) {
          return false;
        }
        throw new EOFException("connection closed inside a line");
      }
      byte[] b = buf;
      int p = pos;
      int end = lim;
      while (p < end) {
        byte c = b[p++];
        if (c == '\n') {
          pos = p;
          if (lineLen > 0 && line[lineLen - 1] == '\r') {
            lineLen--;
          }
          return true;
        }
        if (lineLen == line.length) {
          if (line.length >= 64 * 1024) {
            throw new IOException("HTTP line longer than 64 KiB");
          }
          line = Arrays.copyOf(line, line.length * 2);
        }
        line[lineLen++] = c;
      }
      pos = p;
    }
  }

  /** Whether the current line starts with {@code lower}, ignoring ASCII case. */
  boolean lineStartsWith(byte[] lower) {
    if (lineLen < lower.length) {
      return false;
    }
    for (int i = 0; i < lower.length; i++) {
      if (toLower(line[i]) != lower[i]) {
        return false;
      }
    }
    return true;
  }

  /** Whether the current line contains {@code lower} from {@code from} on, ignoring ASCII case. */
  boolean lineContains(byte[] lower, int from) {
    outer:
    for (int i = from; i + lower.length <= lineLen; i++) {
      for (int j = 0; j < lower.length; j++) {
        if (toLower(line[i + j]) != lower[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }

  /** The decimal number in the current line after {@code from}, skipping blanks; -1 if none. */
  long lineNumber(int from) {
    int i = from;
    while (i < lineLen && (line[i] == ' ' || line[i] == '\t')) {
      i++;
    }
    long n = 0;
    int digits = 0;
    for (; i < lineLen && line[i] >= '0' && line[i] <= '9' && digits < 18; i++, digits++) {
      n = n * 10 + (line[i] - '0');
    }
    return digits == 0 ? -1 : n;
  }

  /** The hexadecimal chunk size at the start of the current line (extensions ignored). */
  int lineHex() throws IOException {
    int n = 0;
    int digits = 0;
    for (int i = 0; i < lineLen; i++) {
      int d = Character.digit(line[i], 16);
      if (d < 0) {
        break;
      }
      if (++digits > 7) {
        throw new IOException("chunk size too large");
      }
      n = n * 16 + d;
    }
    if (digits == 0) {
      throw new IOException("bad chunk size line: " + lineText());
    }
    return n;
  }

  /** The three-digit status code of an HTTP/1.x status line, or -1. */
  int statusCode() {
    if (lineLen < 12 || line[8] != ' ') {
      return -1;
    }
    int code = 0;
    for (int i = 9; i < 12; i++) {
      if (line[i] < '0' || line[i] > '9') {
        return -1;
      }
      code = code * 10 + (line[i] - '0');
    }
    return code;
  }

  byte lineByte(int i) {
    return line[i];
  }

  String lineText() {
    return new String(line, 0, Math.min(lineLen, 200), StandardCharsets.ISO_8859_1);
  }

  /** Reads exactly {@code n} bytes into {@code dst}. */
  void readFully(byte[] dst, int n) throws IOException {
    int off = 0;
    while (off < n) {
      int a = available();
      if (a < 0) {
        throw new EOFException("connection closed inside a body");
      }
      int k = Math.min(a, n - off);
      System.arraycopy(buf, pos, dst, off, k);
      pos += k;
      off += k;
    }
  }

  private static byte toLower(byte c) {
    return c >= 'A' && c <= 'Z' ? (byte) (c + 32) : c;
  }
}
