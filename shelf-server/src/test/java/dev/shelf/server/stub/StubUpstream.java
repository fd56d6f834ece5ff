package dev.shelf.server.stub;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shelf.api.Json;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A loopback HTTP/1.1 upstream on a raw {@link ServerSocket}, for reproducing vendors' wire quirks
 * byte for byte: what a real OpenAI-compatible server sends, split where it splits, with the line
 * endings, comments, errors and abrupt closes it uses.
 *
 * <p>Each connection gets a virtual thread and is kept alive between requests (unless a response
 * closes it). A request takes the next scripted {@link Response} from the queue ({@link #enqueue});
 * with the queue empty the {@link #handler} answers. Every request is recorded ({@link
 * #requests()}) with its headers and parsed JSON body before it is answered, so after the client
 * got its answer the recording is there to assert on.
 *
 * <p>Response kinds: {@link Response.Whole} (status, headers, a body with a length), {@link
 * Response.Sse} (a list of raw byte fragments, each written and flushed after an optional delay,
 * framed with {@code Transfer-Encoding: chunked} or with {@code Connection: close} and no length,
 * optionally cut off without a proper end), {@link Response.Reset} (the socket is reset before any
 * byte of an answer) and {@link Response.Hang} (never answers). When the client goes away while a
 * hang or a stream is in progress, {@link Recorded#clientGone()} completes with the time the stub
 * noticed, so tests can assert that upstream calls are cancelled.
 */
public final class StubUpstream implements AutoCloseable {
  private static final Response NOTHING_SCRIPTED =
      Response.json(
          500,
          "{\"error\":{\"message\":\"stub upstream: no response scripted for this request\","
              + "\"type\":\"server_error\"}}");

  private final ServerSocket server;
  private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
  private final ConcurrentLinkedDeque<Response> queue = new ConcurrentLinkedDeque<>();
  private final List<Recorded> requests = new CopyOnWriteArrayList<>();
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
  private final AtomicInteger connections = new AtomicInteger();
  private volatile Function<Recorded, Response> handler = r -> NOTHING_SCRIPTED;
  private volatile boolean closed;

  private StubUpstream(ServerSocket server) {
    this.server = server;
  }

  /** Starts a stub on 127.0.0.1 and a free port. */
  public static StubUpstream start() {
    try {
      var ss = new ServerSocket();
      ss.setReuseAddress(true);
      ss.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 128);
      var stub = new StubUpstream(ss);
      Thread.ofVirtual().name("stub-upstream-accept").start(stub::acceptLoop);
      return stub;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public int port() {
    return server.getLocalPort();
  }

  /** The OpenAI-style base URL: {@code http://127.0.0.1:PORT/v1}. */
  public String baseUrl() {
    return "http://127.0.0.1:" + port() + "/v1";
  }

  /** Queues a response for the next request (first in, first out). */
  public StubUpstream enqueue(Response... responses) {
    queue.addAll(List.of(responses));
    return this;
  }

  /** Answers requests when the queue is empty. */
  public StubUpstream handler(Function<Recorded, Response> h) {
    this.handler = h;
    return this;
  }

  /** Forgets scripted responses, the handler and the recorded requests (between tests). */
  public StubUpstream reset() {
    queue.clear();
    requests.clear();
    handler = r -> NOTHING_SCRIPTED;
    return this;
  }

  /** The requests received so far, in order of arrival. */
  public List<Recorded> requests() {
    return List.copyOf(requests);
  }

  /** The only request received so far; fails if there were none or several. */
  public Recorded onlyRequest() {
    List<Recorded> all = requests();
    if (all.size() != 1) {
      throw new AssertionError("expected exactly one upstream request but got " + all.size());
    }
    return all.getFirst();
  }

  /** How many TCP connections have been accepted (to observe keep-alive reuse). */
  public int connectionCount() {
    return connections.get();
  }

  /** Waits until at least {@code n} requests have arrived. */
  public List<Recorded> awaitRequests(int n, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (requests.size() < n) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            "expected " + n + " upstream requests within " + timeout + " but got " + requests);
      }
      try {
        Thread.sleep(2);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
    return requests();
  }

  @Override
  public void close() {
    closed = true;
    try {
      server.close();
    } catch (IOException ignored) {
      // closing anyway
    }
    for (Socket s : sockets) {
      closeQuietly(s);
    }
    threads.shutdownNow();
  }

  private void acceptLoop() {
    while (!closed) {
      Socket s;
      try {
        s = server.accept();
      } catch (IOException e) {
        return; // closed
      }
      int id = connections.incrementAndGet();
      sockets.add(s);
      try {
        threads.execute(() -> serve(s, id));
      } catch (RuntimeException e) {
        closeQuietly(s); // shutting down
      }
    }
  }

  private void serve(Socket s, int connection) {
    try (s) {
      s.setTcpNoDelay(true);
      InputStream in = new BufferedInputStream(s.getInputStream());
      OutputStream out = s.getOutputStream();
      while (!closed) {
        Recorded r = readRequest(in, connection);
        if (r == null) {
          return;
        }
        requests.add(r);
        Response next = queue.poll();
        if (next == null) {
          next = handler.apply(r);
        }
        if (!answer(next, r, s, in, out) || r.wantsClose()) {
          return;
        }
      }
    } catch (IOException e) {
      // the client went away between requests
    } finally {
      sockets.remove(s);
    }
  }

  /** Writes one response; false when the connection must not be reused. */
  private static boolean answer(
      Response resp, Recorded r, Socket s, InputStream in, OutputStream out) throws IOException {
    switch (resp) {
      case Response.Whole w -> {
        var head = new StringBuilder(statusLine(w.status()));
        boolean hasType = false;
        for (var h : w.headers().entrySet()) {
          head.append(h.getKey()).append(": ").append(h.getValue()).append("\r\n");
          hasType |= h.getKey().equalsIgnoreCase("content-type");
        }
        if (!hasType) {
          head.append("content-type: application/json\r\n");
        }
        head.append("content-length: ").append(w.body().length).append("\r\n\r\n");
        out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
        out.write(w.body());
        out.flush();
        return true;
      }
      case Response.Sse sse -> {
        return stream(sse, r, s, out);
      }
      case Response.Reset ignored -> {
        s.setSoLinger(true, 0); // RST instead of FIN
        s.close();
        return false;
      }
      case Response.Hang ignored -> {
        try {
          while (in.read() >= 0) {
            // a client never sends more on a connection awaiting an answer; drain until it goes
          }
        } catch (IOException e) {
          // reset by the client: gone as well
        }
        r.clientGone.complete(System.nanoTime());
        return false;
      }
    }
  }

  private static boolean stream(Response.Sse sse, Recorded r, Socket s, OutputStream out)
      throws IOException {
    var head = new StringBuilder(statusLine(sse.status()));
    boolean hasType = false;
    for (var h : sse.headers().entrySet()) {
      head.append(h.getKey()).append(": ").append(h.getValue()).append("\r\n");
      hasType |= h.getKey().equalsIgnoreCase("content-type");
    }
    if (!hasType) {
      head.append("content-type: text/event-stream\r\n");
    }
    head.append("cache-control: no-cache\r\n");
    boolean chunked = sse.framing() == Framing.CHUNKED;
    head.append(chunked ? "transfer-encoding: chunked\r\n" : "connection: close\r\n");
    head.append("\r\n");
    try {
      out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      for (Fragment f : sse.fragments()) {
        if (f.delayMillis() > 0) {
          sleep(f.delayMillis());
        }
        if (f.bytes().length == 0) {
          continue; // a zero-length chunk would end the body
        }
        if (chunked) {
          out.write(
              (Integer.toHexString(f.bytes().length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
          out.write(f.bytes());
          out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
        } else {
          out.write(f.bytes());
        }
        out.flush();
      }
      if (sse.cutOff() || !chunked) {
        s.shutdownOutput(); // FIN: for close framing the end of the body, else a truncation
        s.close();
        return false;
      }
      out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      return true;
    } catch (IOException e) {
      r.clientGone.complete(System.nanoTime()); // broken pipe or reset: the client left
      return false;
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new UncheckedIOException(new IOException("stub interrupted", e));
    }
  }

  private static String statusLine(int status) {
    return "HTTP/1.1 " + status + " " + (status == 200 ? "OK" : "Stub") + "\r\n";
  }

  private static Recorded readRequest(InputStream in, int connection) throws IOException {
    String requestLine = readLine(in);
    while (requestLine != null && requestLine.isEmpty()) {
      requestLine = readLine(in); // tolerate stray CRLFs between requests
    }
    if (requestLine == null) {
      return null;
    }
    String[] parts = requestLine.split(" ", 3);
    if (parts.length < 3) {
      throw new IOException("bad request line: " + requestLine);
    }
    var headers = new LinkedHashMap<String, List<String>>();
    String line;
    while ((line = readLine(in)) != null && !line.isEmpty()) {
      int colon = line.indexOf(':');
      if (colon > 0) {
        headers
            .computeIfAbsent(
                line.substring(0, colon).trim().toLowerCase(Locale.ROOT), k -> new ArrayList<>())
            .add(line.substring(colon + 1).trim());
      }
    }
    byte[] body;
    String te = first(headers, "transfer-encoding");
    String cl = first(headers, "content-length");
    if (te != null && te.toLowerCase(Locale.ROOT).contains("chunked")) {
      body = readChunked(in);
    } else if (cl != null) {
      body = in.readNBytes(Integer.parseInt(cl.trim()));
    } else {
      body = new byte[0];
    }
    return new Recorded(parts[0], parts[1], headers, body, connection, System.nanoTime());
  }

  private static byte[] readChunked(InputStream in) throws IOException {
    var out = new ByteArrayOutputStream();
    while (true) {
      String size = readLine(in);
      if (size == null) {
        throw new IOException("EOF in chunked request body");
      }
      int semi = size.indexOf(';');
      int n = Integer.parseInt((semi < 0 ? size : size.substring(0, semi)).trim(), 16);
      if (n == 0) {
        String trailer;
        while ((trailer = readLine(in)) != null && !trailer.isEmpty()) {
          // trailers ignored
        }
        return out.toByteArray();
      }
      out.write(in.readNBytes(n));
      readLine(in);
    }
  }

  /** A CRLF- or LF-terminated header line as ISO-8859-1, or null at EOF before any byte. */
  private static String readLine(InputStream in) throws IOException {
    var sb = new StringBuilder();
    int b;
    while ((b = in.read()) >= 0) {
      if (b == '\n') {
        int len = sb.length();
        if (len > 0 && sb.charAt(len - 1) == '\r') {
          sb.setLength(len - 1);
        }
        return sb.toString();
      }
      sb.append((char) b);
      if (sb.length() > 64 * 1024) {
        throw new IOException("header line too long");
      }
    }
    return sb.isEmpty() ? null : sb.toString();
  }

  private static String first(Map<String, List<String>> headers, String name) {
    List<String> v = headers.get(name);
    return v == null || v.isEmpty() ? null : v.getFirst();
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // best effort
    }
  }

  // ------------------------------------------------------------------------------ recorded

  /** One request as the stub received it. Header names are lower-cased. */
  public static final class Recorded {
    private final String method;
    private final String path;
    private final Map<String, List<String>> headers;
    private final byte[] body;
    private final int connection;
    private final long receivedNanos;
    private final CompletableFuture<Long> clientGone = new CompletableFuture<>();

    Recorded(
        String method,
        String path,
        Map<String, List<String>> headers,
        byte[] body,
        int connection,
        long receivedNanos) {
      this.method = method;
      this.path = path;
      this.headers = Map.copyOf(headers);
      this.body = body;
      this.connection = connection;
      this.receivedNanos = receivedNanos;
    }

    public String method() {
      return method;
    }

    /** The request target as sent, e.g. {@code /v1/chat/completions}. */
    public String path() {
      return path;
    }

    public Map<String, List<String>> headers() {
      return headers;
    }

    /** The first value of a header (name in any case), or null. */
    public String header(String name) {
      return first(headers, name.toLowerCase(Locale.ROOT));
    }

    public byte[] body() {
      return body.clone();
    }

    public String bodyText() {
      return new String(body, StandardCharsets.UTF_8);
    }

    /** The body parsed as JSON; fails the test if it is not JSON. */
    public JsonNode json() {
      try {
        return Json.MAPPER.readTree(body);
      } catch (IOException e) {
        throw new AssertionError("upstream request body is not JSON: " + bodyText(), e);
      }
    }

    /** Which accepted connection carried it (1, 2, ...). */
    public int connection() {
      return connection;
    }

    /** {@link System#nanoTime()} when the request was read in full. */
    public long receivedNanos() {
      return receivedNanos;
    }

    /**
     * Completes with {@link System#nanoTime()} when the client went away while this request was
     * being answered by a {@link Response.Hang} or a {@link Response.Sse} (never completes when the
     * answer was delivered in full).
     */
    public CompletableFuture<Long> clientGone() {
      return clientGone;
    }

    /** Waits for the client to go away; the time from receipt to then, or fails. */
    public Duration awaitClientGone(Duration timeout) {
      try {
        long at = clientGone.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        return Duration.ofNanos(at - receivedNanos);
      } catch (java.util.concurrent.TimeoutException e) {
        throw new AssertionError(
            "the client did not close the upstream connection within " + timeout, e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      } catch (java.util.concurrent.ExecutionException e) {
        throw new AssertionError(e);
      }
    }

    boolean wantsClose() {
      String c = header("connection");
      return c != null && c.equalsIgnoreCase("close");
    }

    @Override
    public String toString() {
      return method + " " + path + " " + bodyText();
    }
  }

  // ------------------------------------------------------------------------------ responses

  /** How a streamed body is delimited. */
  public enum Framing {
    /** {@code Transfer-Encoding: chunked}, one HTTP chunk per fragment. */
    CHUNKED,
    /** {@code Connection: close} and no length: the body ends when the socket closes. */
    CLOSE
  }

  /** Raw bytes written and flushed as one piece, after waiting {@code delayMillis}. */
  public record Fragment(byte[] bytes, long delayMillis) {
    public static Fragment of(String text) {
      return new Fragment(text.getBytes(StandardCharsets.UTF_8), 0);
    }

    public static Fragment of(byte[] bytes) {
      return new Fragment(bytes.clone(), 0);
    }

    public Fragment after(long millis) {
      return new Fragment(bytes, millis);
    }

    @Override
    public String toString() {
      return "Fragment[" + new String(bytes, StandardCharsets.UTF_8) + ", +" + delayMillis + "ms]";
    }
  }

  /** A scripted answer. */
  public sealed interface Response {
    /** A body with a content length (JSON by default). */
    record Whole(int status, Map<String, String> headers, byte[] body) implements Response {
      public Whole {
        headers = Map.copyOf(headers);
      }

      public Whole header(String name, String value) {
        var h = new LinkedHashMap<>(headers);
        h.put(name, value);
        return new Whole(status, h, body);
      }
    }

    /** An event stream, written fragment by fragment. */
    record Sse(
        int status,
        Map<String, String> headers,
        List<Fragment> fragments,
        Framing framing,
        boolean cutOff)
        implements Response {
      public Sse {
        headers = Map.copyOf(headers);
        fragments = List.copyOf(fragments);
      }

      /** Ends the body with {@code Connection: close} instead of chunked framing. */
      public Sse closeDelimited() {
        return new Sse(status, headers, fragments, Framing.CLOSE, cutOff);
      }

      /** After the last fragment, closes the connection without ending the body properly. */
      public Sse thenCutOff() {
        return new Sse(status, headers, fragments, framing, true);
      }

      /**
       * Cuts off {@code millis} after the last fragment. An HTTP client may drop bytes that arrive
       * together with an abrupt close (the JDK's does), so a test that needs the last fragment
       * delivered before the break leaves it a moment.
       */
      public Sse thenCutOffAfter(long millis) {
        var all = new ArrayList<>(fragments);
        all.add(new Fragment(new byte[0], millis));
        return new Sse(status, headers, all, framing, true);
      }

      /** Waits {@code millis} before every fragment (so each arrives in its own read). */
      public Sse paced(long millis) {
        return new Sse(
            status,
            headers,
            fragments.stream().map(f -> f.after(millis)).toList(),
            framing,
            cutOff);
      }

      public Sse header(String name, String value) {
        var h = new LinkedHashMap<>(headers);
        h.put(name, value);
        return new Sse(status, h, fragments, framing, cutOff);
      }

      /** All fragments joined: the bytes the client receives. */
      public byte[] bytes() {
        var out = new ByteArrayOutputStream();
        fragments.forEach(f -> out.writeBytes(f.bytes()));
        return out.toByteArray();
      }
    }

    /** Resets the connection (TCP RST) before answering. */
    record Reset() implements Response {}

    /** Never answers; the request's {@link Recorded#clientGone()} tells when the client left. */
    record Hang() implements Response {}

    static Whole json(int status, String body) {
      return new Whole(status, Map.of(), body.getBytes(StandardCharsets.UTF_8));
    }

    static Whole json(int status, JsonNode body) {
      return new Whole(status, Map.of(), Json.bytes(body));
    }

    static Sse sse(List<Fragment> fragments) {
      return new Sse(200, Map.of(), fragments, Framing.CHUNKED, false);
    }

    static Sse sse(String... fragments) {
      return sse(java.util.Arrays.stream(fragments).map(Fragment::of).toList());
    }

    /**
     * The same bytes cut at the given offsets (each cut starts a new fragment), so a line, a {@code
     * data:} prefix or a multi-byte character can be split across reads.
     */
    static Sse split(byte[] all, int... cuts) {
      var out = new ArrayList<Fragment>();
      int from = 0;
      for (int cut : cuts) {
        if (cut <= from || cut >= all.length) {
          throw new IllegalArgumentException(
              "cut " + cut + " is not inside (" + from + ", " + all.length + ")");
        }
        out.add(Fragment.of(java.util.Arrays.copyOfRange(all, from, cut)));
        from = cut;
      }
      out.add(Fragment.of(java.util.Arrays.copyOfRange(all, from, all.length)));
      return sse(out);
    }

    /** The same bytes in pieces of {@code size} bytes. */
    static Sse pieces(byte[] all, int size) {
      var out = new ArrayList<Fragment>();
      for (int i = 0; i < all.length; i += size) {
        out.add(Fragment.of(java.util.Arrays.copyOfRange(all, i, Math.min(all.length, i + size))));
      }
      return sse(out);
    }

    static Reset reset() {
      return new Reset();
    }

    static Hang hang() {
      return new Hang();
    }
  }
}
