package dev.shelf.providers.conformance;

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
 * servers send them; connections are kept alive between requests.
 */
final class LoopbackStub implements AutoCloseable {
  /** One request as the stub saw it; header names lower-cased. */
  record Request(String method, String target, Map<String, String> headers, byte[] body) {
    String text() {
      return new String(body, StandardCharsets.UTF_8);
    }
  }

  /**
   * A scripted answer: a status, headers, and the body in pieces. A chunked reply sends each piece
   * as one transfer chunk; a plain one sends them joined, with a content-length.
   */
  record Reply(int status, Map<String, String> headers, List<String> pieces, boolean chunked) {
    Reply {
      headers = Map.copyOf(headers);
      pieces = List.copyOf(pieces);
    }

    /** A 200 event stream; each event is its complete text, blank line included. */
    static Reply sse(List<String> events) {
      return new Reply(200, Map.of("content-type", "text/event-stream"), events, true);
    }

    static Reply json(int status, String body) {
      return json(status, body, Map.of());
    }

    static Reply json(int status, String body, Map<String, String> headers) {
      var h = new LinkedHashMap<>(headers);
      h.put("content-type", "application/json");
      return new Reply(status, h, List.of(body), false);
    }
  }

  private final ServerSocket server;
  private final LinkedBlockingQueue<Reply> replies = new LinkedBlockingQueue<>();
  private final LinkedBlockingQueue<Request> requests = new LinkedBlockingQueue<>();
  private final List<Socket> sockets = new ArrayList<>();

  LoopbackStub() throws IOException {
    server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread.ofVirtual().name("conformance-stub").start(this::acceptLoop);
  }

  /** {@code http://127.0.0.1:PORT}, no path. */
  String root() {
    return "http://127.0.0.1:" + server.getLocalPort();
  }

  void enqueue(Reply reply) {
    replies.add(reply);
  }

  Request takeRequest() throws InterruptedException {
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

  private static void write(OutputStream out, Reply reply) throws IOException {
    var head = new StringBuilder("HTTP/1.1 ").append(reply.status()).append(" Stub\r\n");
    reply.headers().forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
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
      byte[] body = String.join("", reply.pieces()).getBytes(StandardCharsets.UTF_8);
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
