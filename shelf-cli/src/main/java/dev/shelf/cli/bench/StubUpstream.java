package dev.shelf.cli.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * An OpenAI-compatible upstream that costs as little as possible, so that a benchmark measures the
 * gateway and not the stub: blocking sockets on loopback, one virtual thread per connection,
 * HTTP/1.1 keep-alive, and answers written as precomputed bytes in one write.
 *
 * <p>{@code POST /v1/chat/completions} answers a fixed {@code chat.completion} or, when the body
 * says {@code "stream":true}, an SSE stream (chunked transfer encoding, one HTTP chunk per event)
 * of {@value #CONTENT_CHUNKS} content chunks, a usage chunk and {@code data: [DONE]}. The streamed
 * content concatenates to the whole answer's content. Anything else is a 404.
 */
final class StubUpstream implements AutoCloseable {
  static final int CONTENT_CHUNKS = 20;
  static final String MODEL = "mock";
  private static final String ID = "chatcmpl-stub";
  private static final long CREATED = 1_700_000_000L;
  private static final String USAGE =
      "{\"prompt_tokens\":12,\"completion_tokens\":" + CONTENT_CHUNKS + ",\"total_tokens\":32}";

  private static final byte[] POST_CHAT = Wire.ascii("post /v1/chat/completions");
  private static final byte[] CONTENT_LENGTH = Wire.ascii("content-length:");
  private static final byte[] TRANSFER_ENCODING = Wire.ascii("transfer-encoding:");
  private static final byte[] CONNECTION = Wire.ascii("connection:");
  private static final byte[] CLOSE = Wire.ascii("close");
  private static final byte[] STREAM_KEY = Wire.ascii("\"stream\"");

  private static final byte[] WHOLE = wholeResponse();
  private static final byte[] STREAM = streamResponse();
  private static final byte[] NOT_FOUND =
      response(
          "404 Not Found",
          "application/json",
          "{\"error\":{\"message\":\"stub: unknown URL\",\"type\":\"invalid_request_error\"}}",
          false);
  private static final byte[] LENGTH_REQUIRED =
      response(
          "411 Length Required",
          "application/json",
          "{\"error\":{\"message\":\"stub: send Content-Length\",\"type\":\"invalid_request_error\"}}",
          true);

  private final ServerSocket server;
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private final LongAdder connections = new LongAdder();
  private final LongAdder wholeAnswers = new LongAdder();
  private final LongAdder streamAnswers = new LongAdder();
  private volatile boolean closed;

  private StubUpstream(ServerSocket server) {
    this.server = server;
  }

  /** Starts a stub on a free loopback port. */
  static StubUpstream start() throws IOException {
    var socket = new ServerSocket(0, 4096, InetAddress.getLoopbackAddress());
    var stub = new StubUpstream(socket);
    Thread.ofPlatform().daemon().name("bench-stub-accept").start(stub::accept);
    return stub;
  }

  int port() {
    return server.getLocalPort();
  }

  /** Connections accepted so far (a client that reuses connections opens few). */
  long connections() {
    return connections.sum();
  }

  /** Answers sent so far: whole {@code chat.completion} bodies. */
  long wholeAnswers() {
    return wholeAnswers.sum();
  }

  /** Answers sent so far: SSE streams. */
  long streamAnswers() {
    return streamAnswers.sum();
  }

  /** The content every answer carries, whole or streamed. */
  static String content() {
    var sb = new StringBuilder();
    for (int i = 0; i < CONTENT_CHUNKS; i++) {
      sb.append(piece(i));
    }
    return sb.toString();
  }

  private static String piece(int i) {
    return i == 0 ? "Hello" : " w" + i;
  }

  /** The SSE body of a streamed answer, unframed: what a client reads after de-chunking. */
  static String streamBody() {
    var sb = new StringBuilder();
    for (String e : streamEvents()) {
      sb.append(e);
    }
    return sb.toString();
  }

  private static String[] streamEvents() {
    String head =
        "{\"id\":\"" + ID + "\",\"object\":\"chat.completion.chunk\",\"created\":" + CREATED;
    head += ",\"model\":\"" + MODEL + "\",\"system_fingerprint\":null,\"choices\":";
    String[] events = new String[CONTENT_CHUNKS + 2];
    for (int i = 0; i < CONTENT_CHUNKS; i++) {
      String role = i == 0 ? "\"role\":\"assistant\"," : "";
      String finish = i == CONTENT_CHUNKS - 1 ? "\"stop\"" : "null";
      events[i] =
          "data: "
              + head
              + "[{\"index\":0,\"delta\":{"
              + role
              + "\"content\":\""
              + piece(i)
              + "\"},\"logprobs\":null,\"finish_reason\":"
              + finish
              + "}]}\n\n";
    }
    events[CONTENT_CHUNKS] = "data: " + head + "[],\"usage\":" + USAGE + "}\n\n";
    events[CONTENT_CHUNKS + 1] = "data: [DONE]\n\n";
    return events;
  }

  private static byte[] streamResponse() {
    var sb =
        new StringBuilder(
            "HTTP/1.1 200 OK\r\n"
                + "Content-Type: text/event-stream\r\n"
                + "Cache-Control: no-cache\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n");
    for (String e : streamEvents()) {
      int n = e.getBytes(StandardCharsets.UTF_8).length;
      sb.append(Integer.toHexString(n)).append("\r\n").append(e).append("\r\n");
    }
    sb.append("0\r\n\r\n");
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** The JSON of a whole answer. */
  static String wholeBody() {
    return "{\"id\":\""
        + ID
        + "\",\"object\":\"chat.completion\",\"created\":"
        + CREATED
        + ",\"model\":\""
        + MODEL
        + "\",\"system_fingerprint\":null,\"choices\":[{\"index\":0,\"message\":"
        + "{\"role\":\"assistant\",\"content\":\""
        + content()
        + "\",\"refusal\":null},\"logprobs\":null,\"finish_reason\":\"stop\"}],\"usage\":"
        + USAGE
        + "}";
  }

  private static byte[] wholeResponse() {
    return response("200 OK", "application/json", wholeBody(), false);
  }

  private static byte[] response(String status, String type, String body, boolean close) {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    String head =
        "HTTP/1.1 "
            + status
            + "\r\nContent-Type: "
            + type
            + "\r\nContent-Length: "
            + b.length
            + (close ? "\r\nConnection: close" : "")
            + "\r\n\r\n";
    byte[] h = head.getBytes(StandardCharsets.US_ASCII);
    byte[] out = new byte[h.length + b.length];
    System.arraycopy(h, 0, out, 0, h.length);
    System.arraycopy(b, 0, out, h.length, b.length);
    return out;
  }

  private void accept() {
    while (!closed) {
      Socket s;
      try {
        s = server.accept();
      } catch (IOException e) {
        if (closed) {
          return;
        }
        continue; // e.g. too many open files: keep serving the connections we have
      }
      connections.increment();
      open.add(s);
      Thread.ofVirtual().name("bench-stub-conn").start(() -> serve(s));
    }
  }

  private void serve(Socket s) {
    try (s) {
      s.setTcpNoDelay(true);
      InputStream in = s.getInputStream();
      OutputStream out = s.getOutputStream();
      var wire = new Wire(in, 16 * 1024);
      byte[] body = new byte[4096];
      while (true) {
        if (!wire.readLine()) {
          return; // the client closed the connection between requests
        }
        if (wire.lineLen == 0) {
          continue; // a stray CRLF between requests is allowed
        }
        boolean chat =
            wire.lineStartsWith(POST_CHAT)
                && wire.lineLen > POST_CHAT.length
                && (wire.lineByte(POST_CHAT.length) == ' '
                    || wire.lineByte(POST_CHAT.length) == '?');
        long length = 0;
        boolean chunked = false;
        boolean close = false;
        while (true) {
          if (!wire.readLine()) {
            return;
          }
          if (wire.lineLen == 0) {
            break;
          }
          if (wire.lineStartsWith(CONTENT_LENGTH)) {
            length = wire.lineNumber(CONTENT_LENGTH.length);
          } else if (wire.lineStartsWith(TRANSFER_ENCODING)) {
            chunked = true;
          } else if (wire.lineStartsWith(CONNECTION)) {
            close = wire.lineContains(CLOSE, CONNECTION.length);
          }
        }
        if (chunked || length < 0 || length > 16 * 1024 * 1024) {
          out.write(LENGTH_REQUIRED);
          return;
        }
        int n = (int) length;
        if (n > body.length) {
          body = new byte[n];
        }
        wire.readFully(body, n);
        if (!chat) {
          out.write(NOT_FOUND);
        } else if (streams(body, n)) {
          streamAnswers.increment(); // counted before the bytes go: a client that has them sees it
          out.write(STREAM);
        } else {
          wholeAnswers.increment();
          out.write(WHOLE);
        }
        if (close) {
          return;
        }
      }
    } catch (SocketException e) {
      // the peer reset the connection, or close() shut it: nothing to answer
    } catch (IOException e) {
      // a malformed request: drop the connection
    } finally {
      open.remove(s);
    }
  }

  /** Whether a JSON body has {@code "stream": true} (the key exactly; whitespace allowed). */
  static boolean streams(byte[] body, int n) {
    outer:
    for (int i = 0; i + STREAM_KEY.length <= n; i++) {
      for (int j = 0; j < STREAM_KEY.length; j++) {
        if (body[i + j] != STREAM_KEY[j]) {
          continue outer;
        }
      }
      int p = skipBlanks(body, i + STREAM_KEY.length, n);
      if (p < n && body[p] == ':') {
        p = skipBlanks(body, p + 1, n);
        return p + 4 <= n
            && body[p] == 't'
            && body[p + 1] == 'r'
            && body[p + 2] == 'u'
            && body[p + 3] == 'e';
      }
    }
    return false;
  }

  private static int skipBlanks(byte[] b, int p, int n) {
    while (p < n && (b[p] == ' ' || b[p] == '\t' || b[p] == '\n' || b[p] == '\r')) {
      p++;
    }
    return p;
  }

  @Override
  public void close() {
    closed = true;
    try {
      server.close();
    } catch (IOException ignored) {
      // closing anyway
    }
    for (Socket s : open) {
      try {
        s.close();
      } catch (IOException ignored) {
        // closing anyway
      }
    }
  }
}
