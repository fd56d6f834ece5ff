package dev.shelf.providers.anthropic;

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
 * A stand-in for api.anthropic.com on loopback: a raw {@link ServerSocket} that records each
 * request and answers with the next scripted reply, byte for byte. Streams go out chunked, one
 * event per chunk, as the real API sends them; connections are kept alive between requests.
 */
final class StubAnthropic implements AutoCloseable {
  /** One request as the server saw it; header names lower-cased. */
  record Request(String method, String target, Map<String, String> headers, byte[] body) {
    String text() {
      return new String(body, StandardCharsets.UTF_8);
    }
  }

  /** A scripted answer. */
  record Reply(int status, Map<String, String> headers, byte[] body, boolean chunked) {
    static Reply sse(byte[] body) {
      return new Reply(200, Map.of("content-type", "text/event-stream"), body, true);
    }

    static Reply json(int status, String body, Map<String, String> headers) {
      var h = new LinkedHashMap<>(headers);
      h.put("content-type", "application/json");
      return new Reply(status, h, body.getBytes(StandardCharsets.UTF_8), false);
    }
  }

  private final ServerSocket server;
  private final LinkedBlockingQueue<Reply> replies = new LinkedBlockingQueue<>();
  private final LinkedBlockingQueue<Request> requests = new LinkedBlockingQueue<>();
  private final List<Socket> sockets = new ArrayList<>();

  StubAnthropic() throws IOException {
    server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread.ofVirtual().start(this::acceptLoop);
  }

  String baseUrl() {
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
        String[] parts = requestLine.split(" ");
        requests.add(new Request(parts[0], parts[1], headers, body));
        Reply reply = replies.poll(5, TimeUnit.SECONDS);
        if (reply == null) {
          reply = Reply.json(500, "{}", Map.of());
        }
        write(out, reply);
      }
    } catch (IOException | InterruptedException e) {
      // the client went away, or the stub was closed
    }
  }

  private static void write(OutputStream out, Reply reply) throws IOException {
    var head = new StringBuilder("HTTP/1.1 ").append(reply.status()).append(" X\r\n");
    reply.headers().forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
    head.append("request-id: req_stub\r\n");
    if (reply.chunked()) {
      head.append("transfer-encoding: chunked\r\n\r\n");
      out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
      String body = new String(reply.body(), StandardCharsets.UTF_8);
      for (String event : body.split("(?<=\n\n)")) {
        byte[] b = event.getBytes(StandardCharsets.UTF_8);
        out.write((Integer.toHexString(b.length) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
        out.write(b);
        out.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
      }
      out.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
    } else {
      head.append("content-length: ").append(reply.body().length).append("\r\n\r\n");
      out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
      out.write(reply.body());
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
