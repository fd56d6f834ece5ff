package dev.shelf.server;

import dev.shelf.api.ApiException;
import dev.shelf.api.ChatAggregator;
import dev.shelf.api.ChatChunk;
import dev.shelf.api.ChatMessage;
import dev.shelf.api.ChatRequest;
import dev.shelf.api.CompletionChunk;
import dev.shelf.gateway.Accounts;
import dev.shelf.gateway.Exchange;
import dev.shelf.gateway.Gateway;
import dev.shelf.gateway.ShelfRuntime;
import dev.shelf.gateway.StreamListener;
import dev.shelf.gateway.config.ConfigException;
import dev.shelf.gateway.config.ShelfConfig;
import dev.shelf.gateway.config.YamlTree;
import dev.shelf.gateway.tenancy.ApiKey;
import dev.shelf.gateway.tenancy.Principal;
import dev.shelf.gateway.tenancy.Tenancy;
import dev.shelf.guard.policy.Classifier;
import dev.shelf.guard.policy.GuardedChat;
import dev.shelf.guard.policy.GuardedCompletion;
import dev.shelf.guard.policy.Guardrails;
import dev.shelf.guard.policy.OutputGuard;
import dev.shelf.guard.policy.Policy;
import dev.shelf.guard.policy.PolicyHit;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The content policies on the request path: compiles the {@code guard:} section (again whenever the
 * configuration reloads), picks a caller's policy, checks input, wraps the answer's listener, and
 * counts hits. Keyword library files are rechecked every two seconds.
 */
final class Guard implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger("shelf.guard");

  private record Compiled(YamlTree.@Nullable Value source, Guardrails rails) {}

  private final ShelfRuntime runtime;
  private final @Nullable Accounts accounts;
  private final Keys keys;
  private final MeterRegistry registry;
  private final Classifier classifier;
  private volatile Compiled compiled;
  private final ScheduledExecutorService refresher =
      Executors.newSingleThreadScheduledExecutor(
          r -> Thread.ofPlatform().daemon().name("shelf-guard-reload").unstarted(r));

  /** Compiles the policies now: a bad {@code guard:} section stops the server from starting. */
  Guard(
      ShelfRuntime runtime,
      @Nullable Accounts accounts,
      Keys keys,
      Gateway gateway,
      MeterRegistry registry) {
    this.runtime = runtime;
    this.accounts = accounts;
    this.keys = keys;
    this.registry = registry;
    this.classifier = new ModelClassifier(gateway);
    ShelfConfig c = runtime.config();
    this.compiled = new Compiled(c.guard(), Guardrails.parse(c.guard(), baseDir(c)));
    refresher.scheduleWithFixedDelay(() -> rails().refresh(), 2, 2, TimeUnit.SECONDS);
  }

  private static Path baseDir(ShelfConfig c) {
    Path file = Path.of(c.source().startsWith("(") ? "." : c.source()).toAbsolutePath();
    Path dir = c.source().startsWith("(") ? file : file.getParent();
    return dir == null ? Path.of(".").toAbsolutePath() : dir;
  }

  /**
   * The policies now in force; a reloaded configuration whose guard section fails keeps the old.
   */
  Guardrails rails() {
    ShelfConfig c = runtime.config();
    Compiled k = compiled;
    if (k.source() != c.guard()) {
      try {
        k = new Compiled(c.guard(), Guardrails.parse(c.guard(), baseDir(c)));
      } catch (ConfigException e) {
        LOG.log(System.Logger.Level.ERROR, "guard policies not reloaded: " + e.getMessage());
        k = new Compiled(c.guard(), k.rails());
      }
      compiled = k;
    }
    return k.rails();
  }

  Classifier classifier() {
    return classifier;
  }

  /**
   * Checks a request's texts against the caller's policy. Throws a 400 {@code
   * content_policy_violation} when a rule blocks; otherwise the check says what to send and how to
   * filter the answer.
   */
  Check check(Exchange ex, Principal caller, List<String> texts) {
    Policy policy = rails().policyFor(caller);
    if (policy == null) {
      return Check.NONE;
    }
    Policy.Input input = policy.checkInput(texts, classifier);
    var check = new Check(this, caller, input, policy.output(input, classifier));
    record(ex, caller, input.hits());
    if (input.isBlocked()) {
      throw new ApiException(
          400, "invalid_request_error", "content_policy_violation", null, policy.message(), null);
    }
    return check;
  }

  void record(Exchange ex, Principal caller, List<PolicyHit> hits) {
    for (PolicyHit h : hits) {
      Counter.builder("shelf_guard_hits")
          .description("Content policy rules that fired")
          .tag("stage", h.stage().label())
          .tag("rule", h.rule())
          .tag("action", h.action().label())
          .tag("policy", h.policy())
          .register(registry)
          .increment();
      ex.policyHit(
          h.stage().label(), h.policy() + "/" + h.rule(), h.category(), h.action().label());
    }
    if (!hits.isEmpty()) {
      countAbuse(caller, hits.size());
    }
  }

  /**
   * Counts a stored key's hits in a rolling minute; at {@code abuse.max_hits} the key is suspended
   * for {@code abuse.suspend}, recorded in the database (so every node refuses it within the key
   * cache's second) and audited as {@code key.suspend}.
   */
  private void countAbuse(Principal caller, int hits) {
    Guardrails.Abuse abuse = rails().abuse();
    Accounts a = accounts;
    if (!abuse.enabled() || a == null || caller.key() == null) {
      return;
    }
    String counter = "guard-hits:" + caller.keyId();
    a.counters().addWindow(counter, hits);
    if (a.counters().tryWindow(counter, 0, abuse.maxHits()) == 0) {
      return;
    }
    long now = System.currentTimeMillis();
    ApiKey fresh = a.store().key(caller.keyId()).orElse(null);
    if (fresh == null || fresh.suspendedAt(now)) {
      return;
    }
    var detail = dev.shelf.api.Json.object();
    detail.put("reason", "content policy hits");
    detail.put("max_hits_per_minute", abuse.maxHits());
    detail.put("suspend_seconds", abuse.suspend().toSeconds());
    new Tenancy(a.store())
        .suspendKey(
            "guard", fresh, now + abuse.suspend().toMillis(), dev.shelf.api.Json.string(detail));
    keys.invalidate();
    LOG.log(
        System.Logger.Level.WARNING,
        "key "
            + fresh.prefix()
            + "... suspended for "
            + abuse.suspend()
            + " after "
            + abuse.maxHits()
            + " content-policy hits in a minute");
  }

  /** The delay the streaming keyword filter added to one answer, in characters held back. */
  void heldBack(int chars) {
    io.micrometer.core.instrument.DistributionSummary.builder("shelf_guard_held_back_chars")
        .description("Most characters the output filter held back at once, per guarded answer")
        .publishPercentiles(0.5, 0.99)
        .register(registry)
        .record(chars);
  }

  @Override
  public void close() {
    refresher.shutdownNow();
  }

  /** One request's policy decisions. */
  static final class Check {
    static final Check NONE = new Check(null, Principal.ANONYMOUS, null, null);

    private final @Nullable Guard guard;
    private final Principal caller;
    private final Policy.@Nullable Input input;
    private final @Nullable OutputGuard output;
    private @Nullable GuardedChat chat;
    private @Nullable GuardedCompletion completion;

    private Check(
        @Nullable Guard guard,
        Principal caller,
        Policy.@Nullable Input input,
        @Nullable OutputGuard output) {
      this.guard = guard;
      this.caller = caller;
      this.input = input;
      this.output = output;
    }

    /** The texts to send upstream, or null when they are unchanged. */
    @Nullable List<String> changed(List<String> original) {
      return input == null || input.texts().equals(original) ? null : input.texts();
    }

    StreamListener<ChatChunk> chat(StreamListener<ChatChunk> next) {
      if (output == null) {
        return next;
      }
      chat = new GuardedChat(next, output);
      return chat;
    }

    StreamListener<CompletionChunk> completion(StreamListener<CompletionChunk> next) {
      if (output == null) {
        return next;
      }
      completion = new GuardedCompletion(next, output);
      return completion;
    }

    /** The answer is complete: releases held text and records the output's hits. */
    void done(Exchange ex) {
      if (chat != null) {
        chat.end();
      }
      if (completion != null) {
        completion.end();
      }
      if (guard != null && output != null) {
        guard.record(ex, caller, output.hits());
        guard.heldBack(output.maxHeldChars());
      }
    }
  }

  /**
   * A moderation model: asks a shelf model, through the gateway, with the rule's prompt as the
   * system message. Its calls are the platform's own, not billed to the caller.
   */
  private record ModelClassifier(Gateway gateway) implements Classifier {
    @Override
    public Verdict classify(String model, String prompt, String text) {
      var request =
          new ChatRequest(
              model,
              List.of(ChatMessage.of("system", prompt), ChatMessage.of("user", text)),
              false,
              false,
              null,
              null,
              null,
              null,
              null,
              16,
              null,
              0.0,
              null,
              null,
              null,
              null,
              null,
              null,
              null,
              null,
              dev.shelf.api.Json.object());
      var ex = new Exchange("guard-" + java.util.UUID.randomUUID(), "moderation", "guard");
      var collector = new Collector<ChatChunk, ChatAggregator>(ChatAggregator::new);
      try {
        gateway.chat(ex, request, collector);
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.WARNING, "moderation model " + model + " failed: " + e);
        return new Verdict(false, List.of(), "error: " + e.getMessage());
      }
      var choices = collector.aggregate().result().choices();
      String answer = choices.isEmpty() ? "" : choices.getFirst().message().textContent();
      return Verdict.parse(answer);
    }
  }
}
