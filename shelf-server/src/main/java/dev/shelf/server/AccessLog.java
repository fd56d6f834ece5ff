package dev.shelf.server;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.shelf.api.Json;
import dev.shelf.api.Usage;
import dev.shelf.gateway.Exchange;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * One JSON line per request, written by a background thread so that logging never blocks the
 * request path. Lines carry the request id, never a key or a prompt.
 */
final class AccessLog implements AutoCloseable {
  private final LinkedBlockingQueue<byte[]> queue = new LinkedBlockingQueue<>(100_000);
  private final PrintStream out;
  private final Thread writer;
  private volatile boolean closed;

  AccessLog(PrintStream out) {
    this.out = out;
    this.writer = Thread.ofPlatform().daemon().name("shelf-access-log").start(this::drain);
  }

  void log(Exchange ex, String method, String path) {
    long micros = (System.nanoTime() - ex.startNanos()) / 1000;
    byte[] line =
        Json.write(
            g -> {
              g.writeStartObject();
              g.writeStringField("ts", Instant.now().toString());
              g.writeStringField("request_id", ex.requestId());
              g.writeStringField("method", method);
              g.writeStringField("path", path);
              g.writeNumberField("status", ex.status());
              g.writeNumberField("duration_ms", micros / 1000.0);
              field(g, "key", ex.keyName());
              field(g, "model", ex.model());
              field(g, "served_by", ex.deployment());
              if (ex.attempts() > 0) {
                g.writeNumberField("attempts", ex.attempts());
              }
              if (ex.fallbacks() > 0) {
                g.writeNumberField("fallbacks", ex.fallbacks());
              }
              if (ex.firstByteNanos() > 0) {
                g.writeNumberField("ttft_ms", ex.firstByteNanos() / 1_000_000.0);
              }
              Usage u = ex.usage();
              if (u != null) {
                g.writeNumberField("prompt_tokens", u.promptTokens());
                g.writeNumberField("completion_tokens", u.completionTokens());
                if (ex.usageEstimated()) {
                  g.writeBooleanField("usage_estimated", true);
                }
              }
              field(g, "error", ex.errorCode());
              g.writeEndObject();
            });
    queue.offer(line); // when the queue is full the line is dropped, never the request
  }

  private static void field(
      JsonGenerator g, String name, @org.jspecify.annotations.Nullable String v)
      throws java.io.IOException {
    if (v != null) {
      g.writeStringField(name, v);
    }
  }

  private void drain() {
    var batch = new ArrayList<byte[]>();
    while (!closed || !queue.isEmpty()) {
      try {
        byte[] first = queue.poll(200, TimeUnit.MILLISECONDS);
        if (first == null) {
          continue;
        }
        batch.add(first);
        queue.drainTo(batch, 1000);
        var sb = new StringBuilder();
        for (byte[] b : batch) {
          sb.append(new String(b, StandardCharsets.UTF_8)).append('\n');
        }
        out.print(sb);
        out.flush();
        batch.clear();
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    try {
      writer.join(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
