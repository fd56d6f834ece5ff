package dev.shelf.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shelf.api.Json;
import dev.shelf.eval.dataset.ChoiceItem;
import dev.shelf.eval.dataset.DatasetImporter;
import dev.shelf.server.stub.ChatStream;
import dev.shelf.server.stub.StubUpstream;
import dev.shelf.server.stub.StubUpstream.Fragment;
import dev.shelf.server.stub.StubUpstream.Response;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

/**
 * What the {@code /v1/evals} tests share: a real server in front of a scripted stub whose answer
 * depends on the upstream model asked ({@link #answer}), and helpers for teams, datasets and runs.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class EvalsApiBase {
  static final String MASTER = "sk-shelf-master-key-0123456789";
  static final Path MMLU = shared("mmlu/test/machine_learning_test.shared.csv");
  static final String YAML =
      """
      server: {port: 0, shutdown_grace: 1s, access_log: false}
      auth: {master_key: %s}
      resilience: {max_attempts: 1, breaker_failures: 1000, cooldown: 1ms}
      providers:
        up: {type: openai, base_url: %s, api_key: sk-upstream-0123456789}
      models:
        - {id: always-b, provider: up, upstream: up-always-b, \
      price: {input: 1, output: 2, currency: USD}}
        - {id: paris, provider: up, upstream: up-paris}
        - {id: dunno, provider: up, upstream: up-dunno}
        - {id: slow, provider: up, upstream: up-slow}
        - {id: dribble, provider: up, upstream: up-dribble}
        - {id: judge-refuses, provider: up, upstream: up-judge-refuses}
        - {id: judge-garbled, provider: up, upstream: up-judge-garbled}
        - {id: rater, provider: up, upstream: up-rater}
        - {id: fair, provider: up, upstream: up-fair}
      """;

  StubUpstream stub;
  ShelfHarness shelf;

  /** The stub's answers: by upstream model. */
  static Response answer(StubUpstream.Recorded r) {
    String model = r.json().path("model").asText();
    return switch (model) {
      case "up-always-b" -> stream(model, "B", 0);
      case "up-paris" -> stream(model, "Paris is the capital of France.", 0);
      case "up-dunno" -> stream(model, "I do not know.", 0);
      case "up-slow" -> stream(model, "B", 150);
      case "up-dribble" -> dribble(model);
      case "up-judge-refuses" -> stream(model, "The assistant declines.\n[[REFUSED]]", 0);
      case "up-rater" -> stream(model, "Fine.\nRating: [[7]]", 0);
      case "up-fair" ->
          stream(
              model,
              r.json()
                      .path("messages")
                      .path(0)
                      .path("content")
                      .asText()
                      .contains("[The Start of Assistant A's Answer]\nB\n")
                  ? "A is right. [[A]]"
                  : "B is right. [[B]]",
              0);
      case "up-judge-garbled" -> stream(model, "Hard to say; REFUSED or COMPLIED?", 0);
      default -> Response.json(404, "{\"error\":{\"message\":\"no such model\"}}");
    };
  }

  static Response stream(String model, String text, long delayMillis) {
    var s = ChatStream.of(model).role().content(text).finish("stop").usage(40, 1).done();
    return Response.sse(
        s.eventTexts().stream().map(t -> Fragment.of(t).after(delayMillis)).toList());
  }

  /** A stream that begins at once and then takes a token every 200 ms for ten seconds. */
  static Response dribble(String model) {
    var fragments = new ArrayList<Fragment>();
    var s = ChatStream.of(model).role();
    for (int i = 0; i < 50; i++) {
      s.content("x");
    }
    List<String> events = s.finish("stop").done().eventTexts();
    for (int i = 0; i < events.size(); i++) {
      fragments.add(Fragment.of(events.get(i)).after(i == 0 ? 0 : 200));
    }
    return Response.sse(fragments);
  }

  @BeforeAll
  void up() {
    stub = StubUpstream.start();
    stub.handler(EvalsApiBase::answer);
    shelf = ShelfHarness.start(YAML.formatted(MASTER, stub.baseUrl()));
  }

  @AfterAll
  void down() {
    shelf.close();
    stub.close();
  }

  // ---- helpers ----

  /** A file of {@code ../shared/data} (next to the multi-module root), read in place. */
  static Path shared(String file) {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      Path candidate = p.resolveSibling("shared").resolve("data").resolve(file);
      if (Files.isRegularFile(candidate)) {
        return candidate;
      }
    }
    throw new IllegalStateException(
        "../shared/data/" + file + " not found above " + Path.of("").toAbsolutePath());
  }

  static String auth(String key) {
    return "Bearer " + key;
  }

  JsonNode ok(ShelfHarness.Raw r, int status) {
    assertThat(r.status()).as(r.body()).isEqualTo(status);
    return r.json();
  }

  /** A new team and a key of it; the key's secret. */
  String teamKey(String name) {
    JsonNode team =
        ok(
            shelf.post(
                "/admin/v1/teams",
                "{\"name\": \"%s-%d\"}".formatted(name, System.nanoTime()),
                "authorization",
                auth(MASTER)),
            201);
    JsonNode key =
        ok(
            shelf.post(
                "/admin/v1/keys",
                "{\"team_id\": \"%s\"}".formatted(team.get("id").asText()),
                "authorization",
                auth(MASTER)),
            201);
    return key.get("key").asText();
  }

  static String datasetBody(String name, String format, String content) {
    ObjectNode b = Json.object();
    b.put("name", name);
    b.put("task_type", "multiple_choice");
    b.put("format", format);
    b.put("content", content);
    return Json.string(b);
  }

  JsonNode upload(String key, Path file, String name) throws Exception {
    ObjectNode b = Json.object();
    b.put("name", name);
    b.put("task_type", "multiple_choice");
    b.putArray("files")
        .addObject()
        .put("name", file.getFileName().toString())
        .put("content", Files.readString(file));
    return ok(shelf.post("/v1/evals/datasets", Json.string(b), "authorization", auth(key)), 201);
  }

  JsonNode startRun(String key, String dataset, String models, int concurrency) {
    return ok(
        shelf.post(
            "/v1/evals/runs",
            "{\"dataset\": \"%s\", \"models\": %s, \"concurrency\": %d}"
                .formatted(dataset, models, concurrency),
            "authorization",
            auth(key)),
        201);
  }

  JsonNode awaitStatus(ShelfHarness on, String key, String run, String status) {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (true) {
      JsonNode r = ok(on.get("/v1/evals/runs/" + run, "authorization", auth(key)), 200);
      if (r.get("status").asText().equals(status)) {
        return r;
      }
      assertThat(System.nanoTime())
          .as("run %s never became %s: %s", run, status, r)
          .isLessThan(deadline);
      sleep(50);
    }
  }

  static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  static long bKeys(Path file) {
    return DatasetImporter.multipleChoice("x", DatasetImporter.Source.of(file))
        .orThrow()
        .items()
        .stream()
        .filter(i -> ((ChoiceItem) i).answer() == 'B')
        .count();
  }
}
