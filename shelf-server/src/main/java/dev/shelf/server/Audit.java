package dev.shelf.server;

import dev.shelf.gateway.Exchange;
import dev.shelf.gateway.audit.AuditCapture;
import dev.shelf.gateway.audit.AuditMode;
import dev.shelf.gateway.audit.AuditStore;
import dev.shelf.gateway.audit.AuditText;
import dev.shelf.gateway.audit.AuditWriter;
import dev.shelf.gateway.audit.ContentAudit;
import dev.shelf.gateway.audit.PolicyHit;
import dev.shelf.gateway.config.ShelfConfig;
import dev.shelf.gateway.tenancy.Principal;
import dev.shelf.gateway.tenancy.Team;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The content audit on the request path.
 *
 * <ol>
 *   <li>{@link #begin}, once the caller is known: the mode of the caller's team (its own setting,
 *       else {@code audit.default}) goes on the exchange; the endpoint then hands its parsed
 *       request to {@link AuditCapture#input} and the gateway gathers the generated text.
 *   <li>{@link #finish}, whatever happened, after the request: the record is queued for the
 *       batching {@link AuditWriter} without waiting; flattening and hashing happen on the writer's
 *       thread. Off writes a record only when a policy fired, with no content.
 * </ol>
 *
 * Records older than {@code audit.retention} are purged hourly. With no store (no accounts) nothing
 * is audited.
 */
final class Audit implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger("shelf.audit");

  /** The model calls; the content audit keeps nothing of admin, models or health requests. */
  static final Set<String> AUDITED = Set.of("chat", "completions", "embeddings", "messages");

  private final @Nullable AuditStore store;
  private final @Nullable AuditWriter writer;
  private final AuditMode defaultMode;
  private final @Nullable Duration retention;
  private final @Nullable ScheduledExecutorService purger;

  Audit(@Nullable AuditStore store, ShelfConfig.Audit config, int maxBatch) {
    this.store = store;
    this.defaultMode = config.defaultMode();
    this.retention = config.retention();
    this.writer = store == null ? null : new AuditWriter(store, maxBatch, 65_536);
    if (store != null && retention != null) {
      this.purger =
          Executors.newSingleThreadScheduledExecutor(
              r -> Thread.ofPlatform().daemon().name("shelf-audit-retention").unstarted(r));
      purger.scheduleWithFixedDelay(this::purgeQuietly, 1, 60, TimeUnit.MINUTES);
    } else {
      this.purger = null;
    }
  }

  /** The mode for a team: its own, else the configured default. */
  AuditMode mode(@Nullable Team team) {
    AuditMode own = team == null ? null : team.audit();
    return own == null ? defaultMode : own;
  }

  AuditMode defaultMode() {
    return defaultMode;
  }

  /** Marks a model call by an authenticated caller as audited, in its team's mode. */
  void begin(Exchange ex, Principal caller) {
    if (writer != null && AUDITED.contains(ex.endpoint())) {
      ex.audit().mode(mode(caller.team()));
    }
  }

  /** Queues the request's record, if it has one to write. Never throws, never waits. */
  void finish(Exchange ex) {
    AuditWriter w = writer;
    AuditCapture c = ex.audit();
    AuditMode mode = c.mode();
    if (w == null || mode == null) {
      return;
    }
    List<PolicyHit> hits = c.policyHits();
    if (mode == AuditMode.OFF && hits.isEmpty()) {
      return;
    }
    String model = ex.servedModel() != null ? ex.servedModel() : ex.model();
    String requestId = ex.requestId();
    String teamId = ex.teamId();
    String keyId = ex.keyId();
    String endpoint = ex.endpoint();
    int status = ex.status();
    long now = System.currentTimeMillis();
    w.submit(
        () ->
            new ContentAudit(
                0,
                requestId,
                teamId,
                keyId,
                endpoint,
                model == null ? "" : model,
                mode,
                content(mode, c.requestText()),
                content(mode, c.responseText()),
                status,
                hits,
                now));
  }

  /** The text as the mode keeps it: itself, its SHA-256, or nothing. */
  static @Nullable String content(AuditMode mode, @Nullable String text) {
    if (text == null) {
      return null;
    }
    return switch (mode) {
      case FULL -> text;
      case HASHED -> AuditText.sha256(text);
      case OFF -> null;
    };
  }

  /** Deletes records older than the retention, as of {@code nowMs}; how many went. */
  int purge(long nowMs) {
    if (store == null || retention == null) {
      return 0;
    }
    return store.purge(nowMs - retention.toMillis());
  }

  private void purgeQuietly() {
    try {
      purge(System.currentTimeMillis());
    } catch (RuntimeException e) {
      LOG.log(
          System.Logger.Level.WARNING, "content audit retention purge failed: " + e.getMessage());
    }
  }

  /** Waits until queued records are written (tests). */
  void flush() throws InterruptedException {
    if (writer != null) {
      writer.flush();
    }
  }

  @Override
  public void close() {
    if (purger != null) {
      purger.shutdownNow();
    }
    if (writer != null) {
      writer.close();
    }
  }
}
