package dev.shelf.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shelf.api.ApiException;
import dev.shelf.api.Json;
import dev.shelf.eval.arena.BattleStore;
import dev.shelf.eval.arena.BattleStore.StoredBattle;
import dev.shelf.eval.arena.BradleyTerry;
import dev.shelf.eval.arena.Rating;
import dev.shelf.eval.arena.Vote;
import dev.shelf.gateway.ShelfRuntime;
import dev.shelf.gateway.tenancy.Principal;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The arena under {@code /v1/evals/arena}: anonymous side-by-side battles and the leaderboard.
 *
 * <p>A battle draws two distinct models at random from the pool (the request's {@code models}, or
 * every chat model on the shelf the key may use), in random order as slots A and B, and asks both
 * the prompt at once through this server's own {@code /v1} with the caller's identity (a {@link
 * Keys#delegate delegated token}), so limits, budget and the ledger apply to both calls. The answer
 * names no model; the vote (A, B, tie or both bad, once: a second vote is 409) reveals both.
 *
 * <p>Ratings: Bradley-Terry maximum likelihood ({@link BradleyTerry}) on the 400/base-10 scale with
 * mean 1000, a tie as half a win each way, 1,000 seeded bootstrap resamples for the 95% intervals,
 * and models whose intervals overlap sharing a rank. <b>Both bad</b> counts as a tie by default
 * (the two were judged equal, as the public arena counts it); {@code ?both_bad=ignore} drops those
 * votes instead. The leaderboard is the team's own; the master key may ask {@code ?scope=all} for
 * every team's votes pooled.
 */
final class ArenaApi {
  private static final Duration CALL_TIMEOUT = Duration.ofMinutes(5);
  private static final int MAX_PROMPT_CHARS = 100_000;

  private final ShelfServer server;
  private final ShelfRuntime runtime;
  private final BattleStore battles;
  private final Keys keys;
  private final Supplier<URI> self;
  private final SecureRandom random = new SecureRandom();
  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(10))
          .build();

  ArenaApi(
      ShelfServer server,
      ShelfRuntime runtime,
      BattleStore battles,
      Keys keys,
      Supplier<URI> self) {
    this.server = server;
    this.runtime = runtime;
    this.battles = battles;
    this.keys = keys;
    this.self = self;
  }

  void routes(HttpRouting.Builder r) {
    r.post("/v1/evals/arena/battles", (q, s) -> run(q, s, this::battle))
        .get("/v1/evals/arena/battles/{id}", (q, s) -> run(q, s, this::getBattle))
        .post("/v1/evals/arena/battles/{id}/vote", (q, s) -> run(q, s, this::vote))
        .get("/v1/evals/arena/leaderboard", (q, s) -> run(q, s, this::leaderboard))
        .get("/arena", (q, s) -> page(s));
  }

  /**
   * The arena's web page ({@code arena.html} next to this class): one self-contained file, no
   * external resources (the server may have no network), calling only the arena API above with the
   * key the user types (kept in the tab's sessionStorage). The page itself needs no key; its
   * Content-Security-Policy lets it reach only this server.
   */
  private static final byte[] PAGE = page();

  private static byte[] page() {
    try (var in = ArenaApi.class.getResourceAsStream("arena.html")) {
      if (in == null) {
        throw new IllegalStateException("arena.html is missing from the server's resources");
      }
      return in.readAllBytes();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static void page(ServerResponse res) {
    res.status(200);
    res.header("content-type", "text/html; charset=utf-8");
    res.header(
        "content-security-policy",
        "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline';"
            + " connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
    res.header("x-content-type-options", "nosniff");
    res.header("cache-control", "no-cache");
    res.send(PAGE);
  }

  private void run(ServerRequest req, ServerResponse res, EvalsApi.Handler h) {
    server.serve(req, res, "evals", Http::error, (ex, who) -> h.handle(req, res, who));
  }

  private void battle(ServerRequest req, ServerResponse res, Principal who) {
    JsonNode b = Json.parse(Http.body(req, runtime.config().server().maxBodyBytes()));
    String prompt = b.isObject() ? EvalsApi.text(b, "prompt", null) : null;
    if (prompt == null || prompt.isBlank()) {
      throw ApiException.invalid("prompt", "`prompt` is required.");
    }
    if (prompt.length() > MAX_PROMPT_CHARS) {
      throw ApiException.invalid(
          "prompt", "`prompt` has at most " + MAX_PROMPT_CHARS + " characters.");
    }
    List<String> pool = pool(b, who);
    if (pool.size() < 2) {
      throw ApiException.invalid(
          "models",
          "A battle needs two models this key may use, but the pool has "
              + pool.size()
              + ": "
              + pool
              + ".");
    }
    int i = random.nextInt(pool.size());
    int j = random.nextInt(pool.size() - 1);
    if (j >= i) {
      j++;
    }
    String modelA = pool.get(i);
    String modelB = pool.get(j);
    String token = keys.delegate(() -> who);
    String[] answers = new String[2];
    try (var pool2 = Executors.newVirtualThreadPerTaskExecutor()) {
      Future<String> a = pool2.submit(() -> ask(token, modelA, prompt, "a"));
      Future<String> c = pool2.submit(() -> ask(token, modelB, prompt, "b"));
      answers[0] = get(a);
      answers[1] = get(c);
    } finally {
      keys.withdraw(token);
    }
    var battle =
        new StoredBattle(
            "battle_" + HexFormat.of().toHexDigits(random.nextLong()),
            who.teamId(),
            who.keyId(),
            prompt,
            modelA,
            modelB,
            answers[0],
            answers[1],
            System.currentTimeMillis(),
            null,
            null);
    battles.create(battle);
    Http.json(res, 201, Json.bytes(view(battle)));
  }

  /** The requested pool, each model checked; else every chat model the key may use. */
  private List<String> pool(JsonNode b, Principal who) {
    Set<String> out = new LinkedHashSet<>();
    JsonNode models = b.get("models");
    if (models != null && !models.isNull()) {
      if (!models.isArray()) {
        throw ApiException.invalid("models", "`models` must be a list of model names.");
      }
      for (JsonNode m : models) {
        String name = m.asText("");
        if (ModelsView.entry(runtime.shelf(), name) == null || !who.mayUse(name)) {
          throw ApiException.modelNotFound(name);
        }
        out.add(name);
      }
      return new ArrayList<>(out);
    }
    for (ModelsView.Entry e : ModelsView.entries(runtime.shelf())) {
      if (who.mayUse(e.id()) && !e.capabilities().contains("embedding")) {
        out.add(e.id());
      }
    }
    return new ArrayList<>(out);
  }

  private static String get(Future<String> f) {
    try {
      return f.get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof ApiException api) {
        throw api;
      }
      throw new IllegalStateException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw ApiException.unavailable("interrupted", "The battle was interrupted.", null);
    }
  }

  /**
   * One non-streaming chat completion through this server's {@code /v1}. A failure names the slot,
   * never the model (which would give the battle away): a 429 stays a 429, anything else is 502.
   */
  private String ask(String token, String model, String prompt, String slot) {
    ObjectNode body = Json.object();
    body.put("model", model);
    body.putArray("messages").addObject().put("role", "user").put("content", prompt);
    var req =
        HttpRequest.newBuilder(URI.create(self.get() + "/chat/completions"))
            .timeout(CALL_TIMEOUT)
            .header("content-type", "application/json")
            .header("authorization", "Bearer " + token)
            .POST(HttpRequest.BodyPublishers.ofByteArray(Json.bytes(body)))
            .build();
    HttpResponse<byte[]> res;
    try {
      res = http.send(req, HttpResponse.BodyHandlers.ofByteArray());
    } catch (IOException e) {
      throw failed(502, slot, "the call failed (" + e.getClass().getSimpleName() + ")", null);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw failed(502, slot, "the call was interrupted", null);
    }
    JsonNode json;
    try {
      json = Json.MAPPER.readTree(res.body());
    } catch (IOException e) {
      throw failed(502, slot, "the answer is not JSON", null);
    }
    if (res.statusCode() != 200) {
      Long retry = res.headers().firstValue("retry-after").map(Long::parseLong).orElse(null);
      throw failed(
          res.statusCode() == 429 ? 429 : 502,
          slot,
          "HTTP " + res.statusCode() + " (" + json.path("error").path("code").asText("error") + ")",
          retry);
    }
    return json.path("choices").path(0).path("message").path("content").asText("");
  }

  private static ApiException failed(int status, String slot, String why, @Nullable Long retry) {
    return new ApiException(
        status,
        status == 429 ? "rate_limit_error" : "server_error",
        status == 429 ? "rate_limit_exceeded" : "arena_model_failed",
        null,
        "Model " + slot.toUpperCase(Locale.ROOT) + " of the battle failed: " + why + ".",
        retry);
  }

  private StoredBattle visible(Principal who, String id) {
    StoredBattle b = battles.find(id);
    if (b == null || !b.teamId().equals(who.teamId())) {
      throw ApiException.notFound("battle_not_found", "No arena battle `" + id + "`.");
    }
    return b;
  }

  private void getBattle(ServerRequest req, ServerResponse res, Principal who) {
    Http.json(res, 200, Json.bytes(view(visible(who, req.path().pathParameters().get("id")))));
  }

  private void vote(ServerRequest req, ServerResponse res, Principal who) {
    String id = req.path().pathParameters().get("id");
    StoredBattle b = visible(who, id);
    JsonNode body = Json.parse(Http.body(req, 64 * 1024));
    String winner = body.isObject() ? EvalsApi.text(body, "winner", null) : null;
    Vote vote = winner == null ? null : parse(winner);
    if (vote == null) {
      throw ApiException.invalid("winner", "`winner` must be a, b, tie or both_bad.");
    }
    long now = System.currentTimeMillis();
    if (!battles.vote(id, vote, now)) {
      throw EvalsApi.conflict("battle_voted", "Arena battle `" + id + "` has its vote already.");
    }
    var voted =
        new StoredBattle(
            b.id(),
            b.teamId(),
            b.keyId(),
            b.prompt(),
            b.modelA(),
            b.modelB(),
            b.answerA(),
            b.answerB(),
            b.createdMs(),
            vote,
            now);
    Http.json(res, 200, Json.bytes(view(voted)));
  }

  private static @Nullable Vote parse(String winner) {
    return switch (winner.toLowerCase(Locale.ROOT).replace('-', '_')) {
      case "a" -> Vote.A;
      case "b" -> Vote.B;
      case "tie" -> Vote.TIE;
      case "both_bad", "bothbad" -> Vote.BOTH_BAD;
      default -> null;
    };
  }

  /** A battle: the answers by slot; the models and the vote only once voted. */
  private static ObjectNode view(StoredBattle b) {
    ObjectNode o = Json.object();
    o.put("id", b.id());
    o.put("object", "eval.arena.battle");
    o.put("prompt", b.prompt());
    ArrayNode answers = o.putArray("answers");
    answers.addObject().put("slot", "a").put("text", b.answerA());
    answers.addObject().put("slot", "b").put("text", b.answerB());
    o.put("created_at", b.createdMs() / 1000);
    Vote v = b.vote();
    if (v != null) {
      o.put("winner", v.name().toLowerCase(Locale.ROOT));
      o.put("model_a", b.modelA());
      o.put("model_b", b.modelB());
    }
    return o;
  }

  private void leaderboard(ServerRequest req, ServerResponse res, Principal who) {
    var q = req.query();
    String scope = q.contains("scope") ? q.first("scope").get() : "team";
    if (!scope.equals("team") && !scope.equals("all")) {
      throw ApiException.invalid("scope", "`scope` must be team or all.");
    }
    if (scope.equals("all") && !who.master()) {
      throw ApiException.forbidden(
          "master_key_required", "Only the master key may pool every team's votes.");
    }
    String bothBad = q.contains("both_bad") ? q.first("both_bad").get() : "tie";
    BradleyTerry.Options options = BradleyTerry.Options.defaults();
    switch (bothBad) {
      case "tie" -> options = options.withBothBad(BradleyTerry.BothBad.TIE);
      case "ignore" -> options = options.withBothBad(BradleyTerry.BothBad.IGNORE);
      default -> throw ApiException.invalid("both_bad", "`both_bad` must be tie or ignore.");
    }
    List<StoredBattle> voted = battles.voted(scope.equals("all") ? null : who.teamId());
    List<Rating> ratings =
        BradleyTerry.leaderboard(voted.stream().map(StoredBattle::battle).toList(), options);
    ArrayNode data = Json.MAPPER.createArrayNode();
    for (Rating r : ratings) {
      if (Double.isNaN(r.rating())) {
        continue; // only both-bad votes, ignored: no rating
      }
      ObjectNode o = data.addObject();
      o.put("rank", r.rank());
      o.put("model", r.model());
      o.put("rating", r.rating());
      o.put("ci_low", r.low());
      o.put("ci_high", r.high());
      o.put("battles", r.battles());
    }
    ObjectNode out = EvalViews.list(data);
    out.put("votes", voted.size());
    out.put("both_bad", bothBad);
    out.put("scope", scope);
    Http.json(res, 200, Json.bytes(out));
  }
}
