package dev.shelf.providers.testing;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * A vendor stand-in on loopback for any wire format: a raw {@link ServerSocket} speaking just
 * enough HTTP/1.1 to record each request and answer it with the next scripted {@link Reply}, byte
 * for byte. A stream goes out chunked, one transfer chunk per event, flushed one by one as real
 * servers send them; connections are kept alive between requests. A request with nothing scripted
 * for it gets a 500.
 */
public final class LoopbackStub implements AutoCloseable {
  /** One request as the stub saw it; header names lower-cased. */
  public record Request(String method, String target, Map<String, String> headers, byte[] body) {
    /** The body as text (UTF-8). */
    public String text() {
      return new String(body, StandardCharsets.UTF_8);
    }
  }

  /**
   * A scripted answer: a status, headers, and the body in pieces. A chunked reply sends each piece
   * as one transfer chunk; a plain one sends them joined, with a content-length.
   */
  public record Reply(
      int status, Map<String, String> headers, List<String> pieces, boolean chunked) {
    public Reply {
      headers = Map.copyOf(headers);
      pieces = List.copyOf(pieces);
    }

    /** A 200 event stream; each event is its complete text, blank line included. */
    public static Reply sse(List<String> events) {
      return new Reply(200, Map.of("content-type", "text/event-stream"), events, true);
    }

    /**
     * A 200 event stream from a whole transcript, cut into events after each blank line (LF LF or
     * CRLF CRLF), so that each event goes out as one chunk.
     */
    public static Reply sse(byte[] transcript) {
      String text = new String(transcript, StandardCharsets.UTF_8);
      return sse(List.of(text.split("(?<=\n\n|\r\n\r\n)")));
    }

    public static Reply json(int status, String body) {
      return json(status, body, Map.of());
    }

    public static Reply json(int status, String body, Map<String, String> headers) {
      var h = new LinkedHashMap<>(headers);
      h.put("content-type", "application/json");
      return new Reply(status, h, List.of(body), false);
    }

    /** The body as the client receives it, the pieces joined. */
    public String body() {
      return String.join("", pieces);
    }
  }

  private final ServerSocket server;
  private final Map<String, String> alwaysHeaders;
  private final LinkedBlockingQueue<Reply> replies = new LinkedBlockingQueue<>();
  private final LinkedBlockingQueue<Request> requests = new LinkedBlockingQueue<>();
  private final List<Socket> sockets = new ArrayList<>();

  public LoopbackStub() throws IOException {
    this(Map.of());
  }

  /**
   * A stub that adds {@code alwaysHeaders} to every reply, as a vendor's servers add theirs (a
   * request id, a server name).
   */
  public LoopbackStub(Map<String, String> alwaysHeaders) throws IOException {
    this.alwaysHeaders = new LinkedHashMap<>(alwaysHeaders);
    server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread.ofVirtual().name("loopback-stub").start(this::acceptLoop);
  }

  /** {@code http://127.0.0.1:PORT}, no path. */
  public String root() {
    return "http://127.0.0.1:" + server.getLocalPort();
  }

  /** Scripts the answer to the next request that has none yet. */
  public void enqueue(Reply reply) {
    replies.add(reply);
  }

  /** The next request the stub saw, waiting up to five seconds for it. */
  public Request takeRequest() throws InterruptedException {
    Request r = requests.poll(5, TimeUnit.SECONDS);
    if (r == null) {
      throw new AssertionError("no request arrived at the stub");
    }
    return r;
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      try {
        Socket s = server.accept();
        synchronized (sockets) {
          sockets.add(s);
        }
        Thread.ofVirtual().start(() -> serve(s));
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  private void serve(Socket s) {
    try (s) {
      InputStream in = new BufferedInputStream(s.getInputStream());
      OutputStream out = s.getOutputStream();
      while (true) {
        String requestLine = line(in);
        if (requestLine == null || requestLine.isEmpty()) {
          return;
        }
        var headers = new LinkedHashMap<String, String>();
        String h;
        while ((h = line(in)) != null && !h.isEmpty()) {
          int colon = h.indexOf(':');
          headers.put(
              h.substring(0, colon).trim().toLowerCase(Locale.ROOT), h.substring(colon + 1).trim());
        }
        int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
        byte[] body = in.readNBytes(length);
        String[] parts = requestLine.split(" ", 3);
        requests.add(new Request(parts[0], parts[1], headers, body));
        Reply reply = replies.poll(5, TimeUnit.SECONDS);
        write(out, reply == null ? Reply.json(500, "{\"error\":\"nothing scripted\"}") : reply);
      }
    } catch (IOException | InterruptedException e) {
      // the client went away, or the stub was closed
    }
  }

  private void write(OutputStream out, Reply reply) throws IOException {
    var head = new StringBuilder("HTTP/1.1 ").append(reply.status()).append(" Stub\r\n");
    reply.headers().forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
    alwaysHeaders.forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
    if (reply.chunked()) {
      head.append("transfer-encoding: chunked\r\n\r\n");
      out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      for (String piece : reply.pieces()) {
        byte[] b = piece.getBytes(StandardCharsets.UTF_8);
        out.write((Integer.toHexString(b.length) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
        out.write(b);
        out.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
      }
      out.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
    } else {
      byte[] body = reply.body().getBytes(StandardCharsets.UTF_8);
      head.append("content-length: ").append(body.length).append("\r\n\r\n");
      out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
      out.write(body);
    }
    out.flush();
  }

  private static @Nullable String line(InputStream in) throws IOException {
    var b = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) >= 0) {
      if (c == '\n') {
        String s = b.toString(StandardCharsets.ISO_8859_1);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
      }
      b.write(c);
    }
    return b.size() == 0 ? null : b.toString(StandardCharsets.ISO_8859_1);
  }

  @Override
  public void close() throws IOException {
    server.close();
    synchronized (sockets) {
      for (Socket s : sockets) {
        s.close();
      }
    }
  }
}
