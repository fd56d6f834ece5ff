package dev.shelf.providers.http;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import org.jspecify.annotations.Nullable;

/**
 * An HTTP/1.1 client for one origin (scheme, host, port), with a pool of keep-alive connections.
 *
 * <p>A connection goes back to the pool only when its response body was read to the end and the
 * server allowed keep-alive; anything else (an error, a body abandoned half-way, {@code Connection:
 * close}) closes it. A request that fails on a pooled connection before any byte of the answer
 * arrived is sent once more on a fresh connection: the server most likely closed the idle
 * connection just before we reused it.
 */
public final class Http1Client implements AutoCloseable {
  private static final int MAX_HEAD = 64 * 1024;
  private static final long IDLE_NANOS = Duration.ofSeconds(30).toNanos();
  private static final int MAX_IDLE = 512;
  private static final long STALE_NANOS = Duration.ofSeconds(1).toNanos();

  private final String host;
  private final int port;
  private final boolean tls;
  private final String hostHeader;
  private final int connectTimeoutMillis;
  private final ConcurrentLinkedDeque<Connection> idle = new ConcurrentLinkedDeque<>();
  private final AtomicInteger opened = new AtomicInteger();
  private volatile boolean closed;

  public Http1Client(URI origin, Duration connectTimeout) {
    String scheme = origin.getScheme() == null ? "" : origin.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw new IllegalArgumentException("not an http(s) URL: " + origin);
    }
    if (origin.getHost() == null) {
      throw new IllegalArgumentException("no host in " + origin);
    }
    this.tls = scheme.equals("https");
    this.host = origin.getHost();
    this.port = origin.getPort() > 0 ? origin.getPort() : tls ? 443 : 80;
    boolean defaultPort = port == (tls ? 443 : 80);
    String h = host.contains(":") ? "[" + host + "]" : host;
    this.hostHeader = defaultPort ? h : h + ":" + port;
    this.connectTimeoutMillis = (int) Math.max(1, connectTimeout.toMillis());
  }

  /** How many connections this client has opened so far (for tests and benchmarks). */
  public int connectionsOpened() {
    return opened.get();
  }

  /**
   * Sends a request and returns once the status line and headers have arrived. The caller must
   * close the response (after reading the body, to keep the connection).
   */
  public Response send(String method, String target, Map<String, String> headers, byte[] body)
      throws IOException {
    byte[] head = head(method, target, headers, body.length);
    for (int attempt = 0; ; attempt++) {
      Connection c = pooled();
      // A connection that sat idle a while may have been closed by the server meanwhile; one
      // that was busy a moment ago and fails now has really failed, and the caller should know.
      boolean stale = c != null && System.nanoTime() - c.idleSince > STALE_NANOS;
      if (c == null) {
        c = open();
      }
      try {
        c.out.write(head);
        c.out.write(body);
        c.out.flush();
        return c.readResponse(method);
      } catch (IOException e) {
        c.close();
        if (stale && !c.answered && attempt == 0 && !Thread.currentThread().isInterrupted()) {
          continue; // a stale pooled connection: try once more on a new one
        }
        throw e;
      }
    }
  }

  private byte[] head(String method, String target, Map<String, String> headers, int length) {
    var sb = new StringBuilder(256);
    sb.append(method).append(' ').append(target).append(" HTTP/1.1\r\n");
    sb.append("Host: ").append(hostHeader).append("\r\n");
    boolean agent = false;
    for (var e : headers.entrySet()) {
      String name = e.getKey();
      String value = e.getValue();
      if (name.indexOf('\r') >= 0
          || name.indexOf('\n') >= 0
          || value.indexOf('\r') >= 0
          || value.indexOf('\n') >= 0) {
        throw new IllegalArgumentException("line breaks in header " + name);
      }
      agent |= name.equalsIgnoreCase("user-agent");
      sb.append(name).append(": ").append(value).append("\r\n");
    }
    if (!agent) {
      sb.append("User-Agent: shelf\r\n");
    }
    sb.append("Content-Length: ").append(length).append("\r\n\r\n");
    return sb.toString().getBytes(StandardCharsets.ISO_8859_1);
  }

  private @Nullable Connection pooled() {
    long now = System.nanoTime();
    Connection c;
    while ((c = idle.pollFirst()) != null) {
      if (now - c.idleSince < IDLE_NANOS && !c.socket.isClosed()) {
        return c;
      }
      c.close();
    }
    return null;
  }

  private Connection open() throws IOException {
    if (closed) {
      throw new IOException("client closed");
    }
    Socket s = new Socket();
    try {
      s.setTcpNoDelay(true);
      s.setKeepAlive(true);
      s.connect(new InetSocketAddress(host, port), connectTimeoutMillis);
      if (tls) {
        SSLSocket ssl =
            (SSLSocket)
                ((SSLSocketFactory) SSLSocketFactory.getDefault())
                    .createSocket(s, host, port, true);
        SSLParameters p = ssl.getSSLParameters();
        p.setEndpointIdentificationAlgorithm("HTTPS"); // verify the certificate names the host
        ssl.setSSLParameters(p);
        ssl.startHandshake();
        s = ssl;
      }
    } catch (IOException | RuntimeException e) {
      s.close();
      throw e;
    }
    opened.incrementAndGet();
    return new Connection(s);
  }

  private void release(Connection c) {
    if (closed || idle.size() >= MAX_IDLE) {
      c.close();
      return;
    }
    c.idleSince = System.nanoTime();
    idle.addFirst(c); // most recently used first: the warmest connection is reused
  }

  @Override
  public void close() {
    closed = true;
    Connection c;
    while ((c = idle.pollFirst()) != null) {
      c.close();
    }
  }

  /** A response: status, headers (names lower-cased) and the body stream. */
  public static final class Response implements AutoCloseable {
    private final int status;
    private final Map<String, List<String>> headers;
    private final Body body;

    Response(int status, Map<String, List<String>> headers, Body body) {
      this.status = status;
      this.headers = headers;
      this.body = body;
    }

    public int status() {
      return status;
    }

    public Map<String, List<String>> headers() {
      return headers;
    }

    public String header(String name) {
      List<String> v = headers.get(name.toLowerCase(Locale.ROOT));
      return v == null || v.isEmpty() ? "" : v.getFirst();
    }

    public InputStream body() {
      return body;
    }

    /**
     * Says the answer is complete (a stream's {@code [DONE]} or {@code message_stop} was read):
     * what is left of the body — the terminating chunk, which may be a moment behind — is read
     * here, waiting at most {@code wait} for it, so that the connection can be kept. A body closed
     * without this (a cancellation) drops its connection unless its end is already buffered.
     */
    public void finish(Duration wait) {
      body.finish(wait);
    }

    @Override
    public void close() {
      body.close();
    }
  }

  /** One socket and its buffers. */
  private final class Connection {
    final Socket socket;
    final Input in;
    final OutputStream out;
    long idleSince;
    boolean answered;

    Connection(Socket socket) throws IOException {
      this.socket = socket;
      this.in = new Input(socket.getInputStream());
      this.out = new BufferedOutputStream(socket.getOutputStream(), 8 * 1024);
    }

    Response readResponse(String method) throws IOException {
      answered = false;
      while (true) {
        String status = line();
        answered = true;
        if (!status.startsWith("HTTP/1.")) {
          throw new IOException("not an HTTP/1.x answer: " + truncate(status));
        }
        int code;
        try {
          code = Integer.parseInt(status.substring(9, 12));
        } catch (RuntimeException e) {
          throw new IOException("bad status line: " + truncate(status));
        }
        Map<String, List<String>> headers = headers();
        if (code >= 100 && code < 200) {
          continue; // 100 Continue and friends precede the real answer
        }
        boolean http10 = status.startsWith("HTTP/1.0");
        String connection = join(headers.get("connection")).toLowerCase(Locale.ROOT);
        boolean keepAlive =
            http10 ? connection.contains("keep-alive") : !connection.contains("close");
        Body body;
        String te = join(headers.get("transfer-encoding")).toLowerCase(Locale.ROOT);
        String cl = join(headers.get("content-length"));
        if (method.equals("HEAD") || code == 204 || code == 304) {
          body = new Body(this, keepAlive, 0);
        } else if (te.contains("chunked")) {
          body = new Body(this, keepAlive, Body.CHUNKED);
        } else if (!cl.isEmpty()) {
          long n;
          try {
            n = Long.parseLong(cl.trim());
          } catch (NumberFormatException e) {
            throw new IOException("bad content-length: " + truncate(cl));
          }
          body = new Body(this, keepAlive, n);
        } else {
          body = new Body(this, false, Body.UNTIL_CLOSE);
        }
        return new Response(code, headers, body);
      }
    }

    private Map<String, List<String>> headers() throws IOException {
      var map = new java.util.HashMap<String, List<String>>();
      int total = 0;
      String l;
      while (!(l = line()).isEmpty()) {
        total += l.length();
        if (total > MAX_HEAD) {
          throw new IOException("response headers larger than " + MAX_HEAD + " bytes");
        }
        int colon = l.indexOf(':');
        if (colon <= 0) {
          continue;
        }
        String name = l.substring(0, colon).trim().toLowerCase(Locale.ROOT);
        map.computeIfAbsent(name, k -> new ArrayList<>(1)).add(l.substring(colon + 1).trim());
      }
      return map;
    }

    /** One CRLF- (or LF-) terminated line, in ISO-8859-1. */
    String line() throws IOException {
      var sb = new StringBuilder(64);
      while (true) {
        int b = in.read();
        if (b < 0) {
          throw new java.io.EOFException("connection closed by the server");
        }
        if (b == '\n') {
          int len = sb.length();
          if (len > 0 && sb.charAt(len - 1) == '\r') {
            sb.setLength(len - 1);
          }
          return sb.toString();
        }
        if (sb.length() >= MAX_HEAD) {
          throw new IOException("header line longer than " + MAX_HEAD + " bytes");
        }
        sb.append((char) b);
      }
    }

    void done(boolean reusable) {
      if (reusable) {
        release(this);
      } else {
        close();
      }
    }

    void close() {
      try {
        socket.close();
      } catch (IOException ignored) {
        // nothing left to do with a socket that will not close
      }
    }
  }

  /** A response body: fixed length, chunked, or until the connection closes. */
  private static final class Body extends InputStream {
    static final long CHUNKED = -1;
    static final long UNTIL_CLOSE = -2;

    private final Connection c;
    private final boolean keepAlive;
    private final long mode;
    private long remaining; // bytes left in the body (fixed) or in the current chunk (chunked)
    private boolean eof;
    private boolean closed;

    Body(Connection c, boolean keepAlive, long length) {
      this.c = c;
      this.keepAlive = keepAlive;
      this.mode = length;
      this.remaining = length >= 0 ? length : 0;
      this.eof = length == 0;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (closed) {
        throw new IOException("body closed");
      }
      if (eof) {
        return -1;
      }
      if (len == 0) {
        return 0;
      }
      if (mode == UNTIL_CLOSE) {
        int n = c.in.read(b, off, len);
        if (n < 0) {
          eof = true;
        }
        return n;
      }
      if (mode == CHUNKED && remaining == 0) {
        remaining = nextChunk();
        if (remaining == 0) {
          trailers();
          eof = true;
          return -1;
        }
      }
      int n = c.in.read(b, off, (int) Math.min(len, remaining));
      if (n < 0) {
        throw new java.io.EOFException("the server closed the connection mid-body");
      }
      remaining -= n;
      if (remaining == 0) {
        if (mode == CHUNKED) {
          String crlf = c.line();
          if (!crlf.isEmpty()) {
            throw new IOException("malformed chunked body");
          }
        } else {
          eof = true;
        }
      }
      return n;
    }

    private long nextChunk() throws IOException {
      String size = c.line();
      int semi = size.indexOf(';');
      String hex = (semi >= 0 ? size.substring(0, semi) : size).trim();
      try {
        long n = Long.parseLong(hex, 16);
        if (n < 0) {
          throw new NumberFormatException();
        }
        return n;
      } catch (NumberFormatException e) {
        throw new IOException("malformed chunk size: " + truncate(size));
      }
    }

    private void trailers() throws IOException {
      while (!c.line().isEmpty()) {
        // trailers are read and ignored
      }
    }

    @Override
    public int available() throws IOException {
      if (eof || closed) {
        return 0;
      }
      int buffered = c.in.available();
      return mode == UNTIL_CLOSE ? buffered : (int) Math.min(buffered, remaining);
    }

    /**
     * Closes the body. The connection is kept only if the body was read to its end — or if its end
     * is already buffered (a stream's terminating chunk right behind {@code [DONE]}), which is then
     * consumed without blocking.
     */
    @Override
    public void close() {
      if (closed) {
        return;
      }
      boolean reusable = false;
      try {
        reusable = keepAlive && (eof || drainBuffered());
      } catch (IOException e) {
        reusable = false;
      }
      closed = true;
      c.done(reusable && !Thread.currentThread().isInterrupted());
    }

    void finish(Duration wait) {
      if (closed || eof || !keepAlive || mode == UNTIL_CLOSE) {
        return;
      }
      try {
        int before = c.socket.getSoTimeout();
        c.socket.setSoTimeout((int) Math.max(1, wait.toMillis()));
        try {
          byte[] skip = new byte[4096];
          long left = 64 * 1024; // an answer that goes on after its end is not worth waiting for
          int n;
          while (left > 0 && (n = read(skip, 0, skip.length)) >= 0) {
            left -= n;
          }
        } finally {
          c.socket.setSoTimeout(before);
        }
      } catch (IOException e) {
        // Late, malformed or cancelled: close() will drop the connection.
      }
    }

    /** Reads to the end only as far as bytes are already buffered; true if the end was reached. */
    private boolean drainBuffered() throws IOException {
      if (mode == UNTIL_CLOSE) {
        return false;
      }
      byte[] skip = new byte[4096];
      for (int guard = 0; guard < 64 && !eof; guard++) {
        if (mode == CHUNKED && remaining == 0) {
          // The next chunk header (at least "0\r\n\r\n") must be fully buffered to read it safely.
          if (c.in.buffered() < 5 && c.in.available() < 5) {
            return false;
          }
        } else if (c.in.buffered() < 1 && c.in.available() < 1) {
          return false;
        }
        if (read(skip, 0, skip.length) < 0) {
          return true;
        }
      }
      return eof;
    }
  }

  /** A buffered socket stream that can tell what it holds without asking the socket. */
  private static final class Input extends BufferedInputStream {
    Input(InputStream in) {
      super(in, 16 * 1024);
    }

    /** Bytes already buffered: readable without blocking and without a system call. */
    synchronized int buffered() {
      return count - pos;
    }
  }

  private static String join(@Nullable List<String> values) {
    return values == null ? "" : String.join(",", values);
  }

  private static String truncate(String s) {
    return s.length() > 80 ? s.substring(0, 80) + "..." : s;
  }
}
