package dev.shelf.server;

import dev.shelf.api.ApiException;
import dev.shelf.api.ErrorCodec;
import dev.shelf.api.Usage;
import dev.shelf.gateway.Exchange;
import dev.shelf.gateway.StreamListener;
import dev.shelf.gateway.routing.Deployment;
import dev.shelf.providers.spi.ClientGoneException;
import io.helidon.webserver.CloseConnectionException;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/**
 * Relays a stream to the client as Server-Sent Events, exactly as OpenAI frames them: one {@code
 * data:} line and a blank line per chunk, flushed at once; then, if the client asked for it, a
 * chunk with empty choices and the usage; then {@code data: [DONE]}. Headers go out with the first
 * chunk, when the serving deployment is known.
 */
final class SseListener<C> implements StreamListener<C> {
  private static final byte[] DATA = "data: ".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] END = "\n\n".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII);

  private final ServerResponse res;
  private final ChunkKind<C> kind;
  private final String id;
  private final boolean includeUsage;
  private final long created = System.currentTimeMillis() / 1000;
  private @Nullable OutputStream out;
  private @Nullable String model;
  private @Nullable Usage usage;
  private long relayedBytes;

  SseListener(ServerResponse res, ChunkKind<C> kind, String id, boolean includeUsage) {
    this.res = res;
    this.kind = kind;
    this.id = id;
    this.includeUsage = includeUsage;
  }

  @Override
  public void begin(Exchange ex, Deployment d) {
    model = d.spec().id();
    res.status(200);
    res.header("content-type", "text/event-stream; charset=utf-8");
    res.header("cache-control", "no-cache");
    Http.shelfHeaders(res, ex);
    try {
      out = res.outputStream();
    } catch (RuntimeException e) {
      throw new ClientGoneException(e);
    }
  }

  @Override
  public void chunk(C chunk) {
    chunk(chunk, null);
  }

  /** Relays a chunk with {@code extra}, a JSON field (the AIGC label), added when given. */
  void chunk(C chunk, byte @Nullable [] extra) {
    Usage u = kind.usage(chunk);
    if (u != null) {
      usage = u; // vendors differ (last chunk, every chunk, cumulative): the last one wins
    }
    C relayed = kind.relay(chunk, id, model == null ? "" : model, created);
    if (relayed != null) {
      relayedBytes += kind.textBytes(relayed);
      send(Labels.withField(kind.write(relayed), extra));
    }
  }

  @Override
  public boolean committed() {
    return out != null;
  }

  @Override
  public void reset() {
    usage = null;
    relayedBytes = 0;
  }

  /** About how many UTF-8 bytes of answer text were relayed (for estimating missing usage). */
  long relayedBytes() {
    return relayedBytes;
  }

  @Nullable Usage usage() {
    return usage;
  }

  boolean includesUsage() {
    return includeUsage;
  }

  /** Ends a successful stream: the usage chunk if asked for, then [DONE]. */
  void finish(Usage finalUsage) {
    finish(finalUsage, null);
  }

  /** As {@link #finish(Usage)}, with {@code extra} (a JSON field) added to the usage chunk. */
  void finish(Usage finalUsage, byte @Nullable [] extra) {
    if (includeUsage) {
      send(
          Labels.withField(
              kind.write(kind.usageChunk(id, model == null ? "" : model, created, finalUsage)),
              extra));
    }
    write(DONE);
    close();
  }

  /** Ends a broken stream with an error event; no [DONE], so no client takes it as complete. */
  void fail(ApiException error) {
    if (out == null) {
      return;
    }
    try {
      send(ErrorCodec.write(error));
    } catch (ClientGoneException ignored) {
      // the client is gone too; nothing more to tell it
    }
    close();
  }

  private void send(byte[] json) {
    OutputStream o = out;
    if (o == null) {
      throw new IllegalStateException("chunk before begin");
    }
    try {
      o.write(DATA);
      o.write(json);
      o.write(END);
      o.flush();
    } catch (IOException | UncheckedIOException | CloseConnectionException e) {
      throw new ClientGoneException(e); // Helidon says "connection" where it means "client gone"
    }
  }

  private void write(byte[] bytes) {
    OutputStream o = out;
    if (o == null) {
      return;
    }
    try {
      o.write(bytes);
      o.flush();
    } catch (IOException | UncheckedIOException | CloseConnectionException e) {
      throw new ClientGoneException(e); // Helidon says "connection" where it means "client gone"
    }
  }

  private void close() {
    OutputStream o = out;
    if (o != null) {
      try {
        o.close();
      } catch (IOException | UncheckedIOException | CloseConnectionException ignored) {
        // the client went away at the very end
      }
    }
  }
}
