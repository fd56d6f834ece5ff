package dev.shelf.cli.bench;

import dev.shelf.cli.bench.Stats.Percentiles;
import dev.shelf.cli.bench.Stats.Result;
import dev.shelf.cli.bench.Stats.Samples;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * A closed-loop HTTP/1.1 load generator built to cost little next to what it measures: one
 * keep-alive connection per virtual thread, each sending the same precomputed request bytes again
 * as soon as the previous answer has been read, and reading answers with just enough parsing to
 * find their end (status line, {@code Content-Length} or chunked framing to the last chunk).
 *
 * <p>Time is split into a warm-up and a measured window. A request counts if it completes inside
 * the window; its latency is from the first byte written to the last byte read. For streams, the
 * time to the first complete SSE event (the first blank line of the body) is recorded too, and a
 * stream counts only if its body ends with {@code data: [DONE]}. Every failure anywhere in the run
 * is an error: a status other than 200, an unfinished stream, an I/O error, or an answer still
 * missing {@link #GRACE} after the window closed (the connection is then closed under it). A
 * connection that fails is replaced by a new one.
 */
final class HttpLoad {
  /** Whole answers, or SSE streams (first-event time recorded, [DONE] required). */
  enum Mode {
    WHOLE,
    STREAM
  }

  static final Duration GRACE = Duration.ofSeconds(2);
  private static final int READ_TIMEOUT_MS = 30_000;
  private static final byte[] CONTENT_LENGTH = Wire.ascii("content-length:");
  private static final byte[] TRANSFER_ENCODING = Wire.ascii("transfer-encoding:");
  private static final byte[] CONNECTION = Wire.ascii("connection:");
  private static final byte[] CHUNKED = Wire.ascii("chunked");
  private static final byte[] CLOSE = Wire.ascii("close");
  private static final byte[] HTTP10 = Wire.ascii("http/1.0");
  private static final byte[] DONE = Wire.ascii("data: [DONE]");

  /** Receives progress while a run waits for its window to pass. */
  @FunctionalInterface
  interface Ticker {
    Ticker NONE = (now, measureFrom, until) -> {};

    void tick(long now, long measureFrom, long until);
  }

  private HttpLoad() {}

  /** Builds a {@code POST} with a JSON body, as bytes to send as they are. */
  static byte[] post(int port, String path, String json, @Nullable String bearer) {
    byte[] body = json.getBytes(StandardCharsets.UTF_8);
    String head =
        "POST "
            + path
            + " HTTP/1.1\r\nHost: 127.0.0.1:"
            + port
            + "\r\nContent-Type: application/json\r\nAccept: */*\r\n"
            + (bearer == null ? "" : "Authorization: Bearer " + bearer + "\r\n")
            + "Content-Length: "
            + body.length
            + "\r\n\r\n";
    byte[] h = head.getBytes(StandardCharsets.US_ASCII);
    byte[] out = new byte[h.length + body.length];
    System.arraycopy(h, 0, out, 0, h.length);
    System.arraycopy(body, 0, out, h.length, body.length);
    return out;
  }

  /**
   * Runs {@code connections} connections against {@code 127.0.0.1:port} for the warm-up and then
   * the measured window, and returns what the window measured. Returns within about warm-up +
   * window + {@link #GRACE} + 1 s whatever the server does.
   */
  static Result run(
      int port,
      byte[] request,
      Mode mode,
      int connections,
      Duration warmup,
      Duration window,
      Ticker ticker)
      throws InterruptedException {
    if (connections < 1) {
      throw new IllegalArgumentException("connections must be >= 1 but was " + connections);
    }
    long start = System.nanoTime();
    long measureFrom = start + warmup.toNanos();
    long until = measureFrom + window.toNanos();
    var address = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
    var workers = new Worker[connections];
    var threads = new Thread[connections];
    for (int i = 0; i < connections; i++) {
      workers[i] = new Worker(address, request, mode, measureFrom, until);
      threads[i] = Thread.ofVirtual().name("bench-load-" + i).start(workers[i]);
    }
    long now;
    while ((now = System.nanoTime()) - until < 0) {
      ticker.tick(now, measureFrom, until);
      long left = until - now;
      Thread.sleep(Math.max(1, Math.min(TimeUnit.NANOSECONDS.toMillis(left), 100)));
    }
    ticker.tick(System.nanoTime(), measureFrom, until);
    long hardStop = until + GRACE.toNanos();
    for (Thread t : threads) {
      long left = hardStop - System.nanoTime();
      if (left > 0) {
        t.join(Duration.ofNanos(left));
      }
    }
    for (Worker w : workers) {
      w.abort();
    }
    for (Thread t : threads) {
      t.join(Duration.ofSeconds(1));
    }
    return summarize(workers, mode, window);
  }

  /**
   * Sends one request on a fresh connection and reads the whole answer; returns what was wrong with
   * it, or null if it was a good answer.
   */
  static @Nullable String once(int port, byte[] request, Mode mode) {
    var address = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
    var w = new Worker(address, request, mode, 0, 0);
    try (var s = new Socket()) {
      s.setSoTimeout(READ_TIMEOUT_MS);
      s.connect(address, 5_000);
      s.getOutputStream().write(request);
      w.read(new Wire(s.getInputStream(), 32 * 1024));
      return w.problem();
    } catch (IOException e) {
      return Worker.describe(e);
    }
  }

  private static Result summarize(Worker[] workers, Mode mode, Duration window) {
    long completed = 0;
    long errors = 0;
    String firstError = null;
    var latencies = new Samples[workers.length];
    var firstEvents = new Samples[workers.length];
    for (int i = 0; i < workers.length; i++) {
      Worker w = workers[i];
      synchronized (w) {
        completed += w.completed;
        errors += w.errors;
        if (firstError == null) {
          firstError = w.firstError;
        }
        latencies[i] = w.latencies;
        firstEvents[i] = w.firstEvents;
      }
    }
    double seconds = window.toNanos() / 1e9;
    return new Result(
        completed,
        errors,
        seconds,
        completed / seconds,
        Percentiles.of(Samples.merge(latencies)),
        mode == Mode.STREAM ? Percentiles.of(Samples.merge(firstEvents)) : null,
        firstError);
  }

  /** One connection's loop; its counters are read after it ends (or under its lock). */
  private static final class Worker implements Runnable {
    private final InetSocketAddress address;
    private final byte[] request;
    private final Mode mode;
    private final long measureFrom;
    private final long until;
    final Samples latencies = new Samples();
    final Samples firstEvents = new Samples();
    long completed;
    long errors;
    @Nullable String firstError;
    private volatile boolean aborted;
    private volatile @Nullable Socket socket;

    // The answer being read.
    private int status;
    private boolean keepAlive;
    private long firstEventAt;
    private boolean lastWasLf;
    private final byte[] tail = new byte[32];
    private int tailLen;
    private final StringBuilder errorBody = new StringBuilder();

    Worker(InetSocketAddress address, byte[] request, Mode mode, long measureFrom, long until) {
      this.address = address;
      this.request = request;
      this.mode = mode;
      this.measureFrom = measureFrom;
      this.until = until;
    }

    /** Closes the connection under a request still waiting for its answer. */
    void abort() {
      aborted = true;
      Socket s = socket;
      if (s != null) {
        try {
          s.close();
        } catch (IOException ignored) {
          // closing anyway
        }
      }
    }

    @Override
    public void run() {
      Socket s = null;
      Wire wire = null;
      OutputStream out = null;
      while (!aborted) {
        long start = System.nanoTime();
        if (start - until >= 0) {
          break;
        }
        try {
          if (s == null || wire == null || out == null) {
            s = new Socket();
            socket = s;
            s.setTcpNoDelay(true);
            s.setSoTimeout(READ_TIMEOUT_MS);
            s.connect(address, 5_000);
            wire = new Wire(s.getInputStream(), 32 * 1024);
            out = s.getOutputStream();
            if (aborted) {
              break;
            }
          }
          out.write(request);
          read(wire);
          long done = System.nanoTime();
          String problem = problem();
          if (problem != null) {
            error(problem);
            s = close(s);
            continue;
          }
          if (done - measureFrom >= 0 && done - until <= 0) {
            synchronized (this) {
              completed++;
              latencies.add(done - start);
              if (mode == Mode.STREAM) {
                firstEvents.add(firstEventAt - start);
              }
            }
          }
          if (!keepAlive) {
            s = close(s);
          }
        } catch (IOException e) {
          s = close(s);
          if (aborted) {
            error("no answer within " + GRACE.toSeconds() + " s after the measured window");
            break;
          }
          error(describe(e));
          if (e instanceof ConnectException) {
            pause();
          }
        }
      }
      close(s);
    }

    private static String describe(IOException e) {
      if (e instanceof SocketTimeoutException) {
        return "no answer within " + READ_TIMEOUT_MS / 1000 + " s";
      }
      if (e instanceof EOFException) {
        return "connection closed mid-answer: " + e.getMessage();
      }
      return e.getClass().getSimpleName() + ": " + e.getMessage();
    }

    private @Nullable String problem() {
      if (status != 200) {
        return "HTTP " + status + (errorBody.isEmpty() ? "" : ": " + errorBody);
      }
      if (mode == Mode.STREAM) {
        if (firstEventAt == 0) {
          return "a stream without any SSE event";
        }
        if (!endsWithDone()) {
          return "a stream that did not end with data: [DONE] (ends: "
              + new String(tail, 0, tailLen, StandardCharsets.UTF_8).strip()
              + ")";
        }
      }
      return null;
    }

    private void error(String what) {
      synchronized (this) {
        errors++;
        if (firstError == null) {
          firstError = what;
        }
      }
    }

    private static @Nullable Socket close(@Nullable Socket s) {
      if (s != null) {
        try {
          s.close();
        } catch (IOException ignored) {
          // closing anyway
        }
      }
      return null;
    }

    private static void pause() {
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    /** Reads one answer: status line, headers, then the body to its end. */
    private void read(Wire w) throws IOException {
      if (!w.readLine()) {
        throw new EOFException("connection closed before the status line");
      }
      status = w.statusCode();
      keepAlive = !w.lineStartsWith(HTTP10);
      firstEventAt = 0;
      lastWasLf = false;
      tailLen = 0;
      errorBody.setLength(0);
      long length = -1;
      boolean chunked = false;
      while (true) {
        if (!w.readLine()) {
          throw new EOFException("connection closed inside the headers");
        }
        if (w.lineLen == 0) {
          break;
        }
        if (w.lineStartsWith(CONTENT_LENGTH)) {
          length = w.lineNumber(CONTENT_LENGTH.length);
        } else if (w.lineStartsWith(TRANSFER_ENCODING)) {
          chunked = w.lineContains(CHUNKED, TRANSFER_ENCODING.length);
        } else if (w.lineStartsWith(CONNECTION)) {
          keepAlive = !w.lineContains(CLOSE, CONNECTION.length);
        }
      }
      if (chunked) {
        while (true) {
          if (!w.readLine()) {
            throw new EOFException("connection closed before a chunk");
          }
          int size = w.lineHex();
          if (size == 0) {
            while (w.readLine() && w.lineLen > 0) {
              // trailers: none expected, skipped
            }
            return;
          }
          body(w, size);
          if (!w.readLine() || w.lineLen != 0) {
            throw new IOException("a chunk not followed by CRLF");
          }
        }
      } else if (length >= 0) {
        body(w, length);
      } else {
        keepAlive = false; // the body runs to the end of the connection
        while (w.available() >= 0) {
          consume(w, w.lim - w.pos);
        }
      }
    }

    private void body(Wire w, long n) throws IOException {
      while (n > 0) {
        int a = w.available();
        if (a < 0) {
          throw new EOFException("connection closed inside the body");
        }
        int k = (int) Math.min(a, n);
        consume(w, k);
        n -= k;
      }
    }

    /** Consumes {@code k} available body bytes, watching them where the mode needs it. */
    private void consume(Wire w, int k) {
      byte[] b = w.buf;
      int from = w.pos;
      w.pos += k;
      if (status != 200) {
        if (errorBody.length() < 300) {
          errorBody.append(
              new String(b, from, Math.min(k, 300 - errorBody.length()), StandardCharsets.UTF_8));
        }
        return;
      }
      if (mode != Mode.STREAM) {
        return;
      }
      if (firstEventAt == 0) {
        for (int i = from; i < from + k; i++) {
          byte c = b[i];
          if (c == '\n') {
            if (lastWasLf) {
              firstEventAt = System.nanoTime();
              break;
            }
            lastWasLf = true;
          } else if (c != '\r') {
            lastWasLf = false;
          }
        }
      }
      // Keep the last bytes of the body, to check that the stream ended with [DONE].
      if (k >= tail.length) {
        System.arraycopy(b, from + k - tail.length, tail, 0, tail.length);
        tailLen = tail.length;
      } else {
        int keep = Math.min(tailLen, tail.length - k);
        System.arraycopy(tail, tailLen - keep, tail, 0, keep);
        System.arraycopy(b, from, tail, keep, k);
        tailLen = keep + k;
      }
    }

    private boolean endsWithDone() {
      int end = tailLen;
      while (end > 0 && (tail[end - 1] == '\n' || tail[end - 1] == '\r')) {
        end--;
      }
      if (end < DONE.length) {
        return false;
      }
      for (int i = 0; i < DONE.length; i++) {
        if (tail[end - DONE.length + i] != DONE[i]) {
          return false;
        }
      }
      return true;
    }
  }
}
