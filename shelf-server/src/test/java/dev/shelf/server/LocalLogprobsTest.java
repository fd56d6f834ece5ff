package dev.shelf.server;

import static java.util.Objects.requireNonNull;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.core.JsonValue;
import com.openai.errors.BadRequestException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionTokenLogprob;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import dev.shelf.api.Json;
import dev.shelf.engine.gguf.GgufFile;
import dev.shelf.engine.model.LlamaModel;
import dev.shelf.engine.model.LogLikelihood;
import dev.shelf.engine.tokenizer.Tokenizer;
import dev.shelf.eval.dataset.ChoiceItem;
import dev.shelf.eval.dataset.TaskType;
import dev.shelf.eval.exec.Answerers;
import dev.shelf.eval.exec.ChatSettings;
import dev.shelf.eval.exec.DatasetSpec;
import dev.shelf.eval.exec.LoglikelihoodAnswerer;
import dev.shelf.eval.exec.MemoryRunStore;
import dev.shelf.eval.exec.RunExecutor;
import dev.shelf.eval.exec.RunSpec;
import dev.shelf.eval.exec.RunStatus;
import dev.shelf.eval.exec.Task;
import dev.shelf.eval.run.Response;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sampling parameters, logprobs and log-likelihood scoring of a local model (stories260K) through
 * the real server, with the official SDK as client where it can say it.
 */
class LocalLogprobsTest {
  static ShelfHarness shelf;
  static OpenAIClient client;

  @BeforeAll
  static void start() {
    shelf =
        ShelfHarness.start(
            """
            server: {port: 0, access_log: false}
            auth: {master_key: %s}
            providers:
              local: {type: local, options: {dir: "%s", threads: 2}}
            models:
              - {id: stories, provider: local, upstream: stories260K.gguf}
            """
                .formatted(LocalModelTest.MASTER, LocalModelTest.modelDir()));
    client = shelf.sdk(LocalModelTest.MASTER);
  }

  @AfterAll
  static void stop() {
    shelf.close();
  }

  static ChatCompletionCreateParams.Builder ask() {
    return ChatCompletionCreateParams.builder()
        .model("stories")
        .addUserMessage("Tell me a story.")
        .temperature(0.0)
        .maxCompletionTokens(16)
        .logprobs(true)
        .topLogprobs(5L);
  }

  static void checkGreedyEntries(List<ChatCompletionTokenLogprob> content) {
    assertThat(content).isNotEmpty();
    for (ChatCompletionTokenLogprob e : content) {
      var top = e.topLogprobs();
      assertThat(top).hasSize(5);
      // greedy picks the most likely token: the first alternative
      assertThat(top.getFirst().token()).isEqualTo(e.token());
      assertThat(top.getFirst().logprob()).isEqualTo(e.logprob());
      double mass = 0;
      for (int i = 0; i < top.size(); i++) {
        mass += Math.exp(top.get(i).logprob());
        if (i > 0) {
          assertThat(top.get(i).logprob()).isLessThanOrEqualTo(top.get(i - 1).logprob());
        }
      }
      assertThat(mass).isLessThanOrEqualTo(1.0 + 1e-9);
      assertThat(e.logprob()).isLessThanOrEqualTo(0.0);
      assertThat(e.bytes().orElseThrow()).isNotEmpty();
    }
  }

  @Test
  void chatLogprobsComeInOpenAisShapeAndTheStreamAggregatesToTheSame() {
    ChatCompletion whole = client.chat().completions().create(ask().build());
    ChatCompletion.Choice choice = whole.choices().getFirst();
    List<ChatCompletionTokenLogprob> content =
        choice.logprobs().orElseThrow().content().orElseThrow();
    checkGreedyEntries(content);
    var joined = new java.io.ByteArrayOutputStream();
    content.forEach(e -> e.bytes().orElseThrow().forEach(b -> joined.write(b.intValue())));
    assertThat(joined.toString(java.nio.charset.StandardCharsets.UTF_8))
        .isEqualTo(choice.message().content().orElseThrow());

    List<ChatCompletionTokenLogprob> streamed = new ArrayList<>();
    try (var s = client.chat().completions().createStreaming(ask().build())) {
      s.stream()
          .forEach(
              (ChatCompletionChunk c) ->
                  c.choices()
                      .forEach(
                          ch ->
                              ch.logprobs()
                                  .flatMap(ChatCompletionChunk.Choice.Logprobs::content)
                                  .ifPresent(streamed::addAll)));
    }
    assertThat(streamed).isEqualTo(content);
  }

  @Test
  void completionLogprobsListTokensOffsetsAndAlternatives() {
    Completion c =
        client
            .completions()
            .create(
                CompletionCreateParams.builder()
                    .model("stories")
                    .prompt("Once upon a time")
                    .maxTokens(8)
                    .temperature(0.0)
                    .logprobs(3L)
                    .build());
    var choice = c.choices().getFirst();
    var lp = choice.logprobs().orElseThrow();
    List<String> tokens = lp.tokens().orElseThrow();
    assertThat(tokens).hasSize(8);
    List<Long> offsets = lp.textOffset().orElseThrow();
    for (int i = 0; i < tokens.size(); i++) {
      // each token's text is where its offset says (a byte-fallback piece is written bytes:\x..)
      if (!tokens.get(i).startsWith("bytes:")) {
        assertThat(choice.text().substring(offsets.get(i).intValue())).startsWith(tokens.get(i));
      }
      assertThat(offsets.get(i)).isBetween(0L, (long) choice.text().length());
    }
    assertThat(lp.tokenLogprobs().orElseThrow()).hasSize(8).allMatch(v -> v <= 0);
    // three alternatives; greedy's token is among them
    var top = lp.topLogprobs().orElseThrow();
    for (int i = 0; i < tokens.size(); i++) {
      Map<String, JsonValue> alternatives = top.get(i)._additionalProperties();
      assertThat(alternatives).hasSizeBetween(1, 3).containsKey(tokens.get(i));
    }
  }

  @Test
  void echoWithoutTokensScoresThePromptOverHttp() {
    var res =
        shelf.post(
            "/v1/completions",
            """
            {"model": "stories", "prompt": ["Lily saw a dog. Answer: A", "Lily saw a dog. Answer: B"],
             "max_tokens": 0, "echo": true, "logprobs": 0}
            """,
            "authorization",
            "Bearer " + LocalModelTest.MASTER);
    assertThat(res.status()).as(res.body()).isEqualTo(200);
    JsonNode json = res.json();
    assertThat(json.get("choices")).hasSize(2);
    JsonNode first = json.get("choices").get(0);
    assertThat(first.get("text").asText()).isEqualTo("Lily saw a dog. Answer: A");
    assertThat(first.get("finish_reason").asText()).isEqualTo("length");
    assertThat(first.get("logprobs").get("token_logprobs").get(0).isNull()).isTrue();
    assertThat(json.get("usage").get("completion_tokens").asInt()).isZero();
  }

  @Test
  void outOfRangeSamplingParametersAre400sNamingTheParameter() {
    for (var c :
        List.of(
            Map.entry("top_k", JsonValue.from(-3)),
            Map.entry("min_p", JsonValue.from(2.0)),
            Map.entry("repetition_penalty", JsonValue.from(0)))) {
      assertThatThrownBy(
              () ->
                  client
                      .chat()
                      .completions()
                      .create(ask().putAdditionalBodyProperty(c.getKey(), c.getValue()).build()))
          .as(c.getKey())
          .isInstanceOfSatisfying(
              BadRequestException.class,
              e -> {
                assertThat(e.statusCode()).isEqualTo(400);
                assertThat(e.param()).contains(c.getKey());
              });
    }
    var res =
        shelf.post(
            "/v1/completions",
            "{\"model\": \"stories\", \"prompt\": \"hi\", \"logprobs\": 40}",
            "authorization",
            "Bearer " + LocalModelTest.MASTER);
    assertThat(res.status()).isEqualTo(400);
    assertThat(res.json().get("error").get("param").asText()).isEqualTo("logprobs");
    assertThat(res.json().get("error").get("type").asText()).isEqualTo("invalid_request_error");
  }

  static final String ROWS =
      """
      "Lily had a red ball. What color was the ball?",red,blue,green,yellow,A
      "Tom went to the park. Where did Tom go?",home,school,park,shop,C
      "The cat was very happy. How did the cat feel?",sad,happy,angry,tired,B
      "Once upon a time there was a big dog. What was big?",cat,tree,dog,car,C
      "Sue and Ben played all day. Who played?",Sue and Ben,Mom,the bird,nobody,A
      """;

  /**
   * Each item's prediction computed without the gateway: lm-eval's split (whole = context + " X",
   * continuation = whole after the context's tokens), scored with the engine, argmax of the sums;
   * checks on the way that the gateway reports the same sum for every choice.
   */
  static Map<String, Character> independentPredictions(Task<ChoiceItem> task) throws IOException {
    HttpClient http = HttpClient.newHttpClient();
    var answerer =
        new LoglikelihoodAnswerer(
            http, URI.create(shelf.baseUrl()), null, "stories", null, Duration.ofSeconds(30));
    Map<String, Character> out = new java.util.LinkedHashMap<>();
    try (GgufFile file = GgufFile.open(LocalModelTest.modelDir().resolve("stories260K.gguf"))) {
      LlamaModel model = LlamaModel.load(file);
      Tokenizer tok = Tokenizer.fromGguf(file);
      for (ChoiceItem item : task.dataset().items()) {
        String context = task.prompts().build(item).text();
        var raw =
            shelf.post(
                "/v1/completions",
                answerer.body(task.prompts().build(item), item.choices().size()).toString(),
                "authorization",
                "Bearer " + LocalModelTest.MASTER);
        double[] served = LoglikelihoodAnswerer.scores(raw.json(), context, item.choices().size());
        int[] ctx = tok.encode(context, true);
        double best = Double.NEGATIVE_INFINITY;
        char expected = '?';
        for (int i = 0; i < item.choices().size(); i++) {
          int[] whole = tok.encode(context + " " + ChoiceItem.letter(i), true);
          assertThat(Arrays.copyOf(whole, ctx.length)).isEqualTo(ctx);
          int[] continuation = Arrays.copyOfRange(whole, ctx.length, whole.length);
          double ll = new LogLikelihood(model, 512).score(ctx, continuation).logLikelihood();
          assertThat(served[i]).isCloseTo(ll, org.assertj.core.data.Offset.offset(1e-9));
          if (ll > best) {
            best = ll;
            expected = ChoiceItem.letter(i);
          }
        }
        out.put(item.id(), expected);
      }
    }
    return out;
  }

  @SuppressWarnings("unchecked")
  static Task<ChoiceItem> load(RunSpec spec) {
    return (Task<ChoiceItem>) Task.load(spec);
  }

  static RunSpec spec(Path csv) {
    return new RunSpec(
        "ll",
        new DatasetSpec("stories", TaskType.MULTIPLE_CHOICE, csv.toString(), null, "mmlu", null),
        List.of("stories"),
        0,
        new ChatSettings(0, 1, null, ChatSettings.LOGLIKELIHOOD),
        2,
        null,
        shelf.baseUrl(),
        Map.of());
  }

  @Test
  void aMultipleChoiceRunScoredByLoglikelihoodPredictsTheArgmaxOfAnIndependentComputation(
      @TempDir Path dir) throws IOException {
    Path csv = dir.resolve("stories_test.csv");
    Files.writeString(csv, ROWS);
    RunSpec spec = spec(csv);
    Task<ChoiceItem> task = load(spec);
    var store = new MemoryRunStore();
    HttpClient http = HttpClient.newHttpClient();
    var executor =
        new RunExecutor(
            store,
            model ->
                Answerers.forRun(
                    http,
                    URI.create(shelf.baseUrl()),
                    LocalModelTest.MASTER,
                    model,
                    spec.settings(),
                    null,
                    Duration.ofSeconds(30)));
    assertThat(executor.execute(spec, task, new RunExecutor.Listener() {}))
        .isEqualTo(RunStatus.FINISHED);
    Map<String, Response> answers = store.responses("ll", "stories");
    assertThat(answers).hasSize(5);
    Map<String, Character> expected = independentPredictions(task);
    for (ChoiceItem item : task.dataset().items()) {
      Response r = requireNonNull(answers.get(item.id()));
      assertThat(r.failed()).as(String.valueOf(r.error())).isFalse();
      assertThat(r.text()).as(item.id()).isEqualTo(String.valueOf(expected.get(item.id())));
      assertThat(requireNonNull(r.measurement()).inputTokens()).isPositive();
      assertThat(requireNonNull(r.measurement()).outputTokens()).isZero();
    }
  }

  @Test
  void theEvalApiRunsALoglikelihoodRunAndRefusesAnUnknownScoring(@TempDir Path dir)
      throws Exception {
    String m = "Bearer " + LocalModelTest.MASTER;
    JsonNode team = shelf.post("/admin/v1/teams", "{\"name\": \"ll\"}", "authorization", m).json();
    String key =
        shelf
            .post(
                "/admin/v1/keys",
                "{\"team_id\": \"%s\"}".formatted(team.get("id").asText()),
                "authorization",
                m)
            .json()
            .get("key")
            .asText();
    var upload = Json.object().put("name", "stories").put("task_type", "multiple_choice");
    upload.putArray("files").addObject().put("name", "stories_test.csv").put("content", ROWS);
    var created =
        shelf.post("/v1/evals/datasets", Json.string(upload), "authorization", "Bearer " + key);
    assertThat(created.status()).as(created.body()).isEqualTo(201);

    var bad =
        shelf.post(
            "/v1/evals/runs",
            "{\"dataset\": \"stories\", \"models\": [\"stories\"], \"scoring\": \"vibes\"}",
            "authorization",
            "Bearer " + key);
    assertThat(bad.status()).isEqualTo(400);
    assertThat(bad.json().get("error").get("param").asText()).isEqualTo("scoring");

    var run =
        shelf.post(
            "/v1/evals/runs",
            "{\"dataset\": \"stories\", \"models\": [\"stories\"], \"scoring\":"
                + " \"loglikelihood\"}",
            "authorization",
            "Bearer " + key);
    assertThat(run.status()).as(run.body()).isEqualTo(201);
    String id = run.json().get("id").asText();
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    JsonNode status;
    do {
      Thread.sleep(50);
      status = shelf.get("/v1/evals/runs/" + id, "authorization", "Bearer " + key).json();
      assertThat(System.nanoTime()).as(status.toString()).isLessThan(deadline);
    } while (!status.get("status").asText().equals("finished"));
    JsonNode results =
        shelf.get("/v1/evals/runs/" + id + "/results", "authorization", "Bearer " + key).json();
    JsonNode model = results.get("models").get(0);
    assertThat(model.get("errors").asInt()).isZero();

    Path csv = dir.resolve("stories_test.csv");
    Files.writeString(csv, ROWS);
    Task<ChoiceItem> task = load(spec(csv));
    Map<String, Character> expected = independentPredictions(task);
    long right =
        task.dataset().items().stream()
            .filter(i -> java.util.Objects.equals(expected.get(i.id()), i.answer()))
            .count();
    assertThat(model.get("accuracy").get("successes").asLong()).isEqualTo(right);
    assertThat(model.get("accuracy").get("total").asInt()).isEqualTo(5);
  }

  @Test
  void theSameSeedGivesTheSameTextThroughTheGateway() {
    var params =
        ChatCompletionCreateParams.builder()
            .model("stories")
            .addUserMessage("Tell me a story.")
            .temperature(1.0)
            .topP(0.9)
            .seed(7L)
            .maxCompletionTokens(30)
            .putAdditionalBodyProperty("top_k", JsonValue.from(40))
            .putAdditionalBodyProperty("min_p", JsonValue.from(0.05))
            .build();
    String a =
        client
            .chat()
            .completions()
            .create(params)
            .choices()
            .getFirst()
            .message()
            .content()
            .orElseThrow();
    String b =
        client
            .chat()
            .completions()
            .create(params)
            .choices()
            .getFirst()
            .message()
            .content()
            .orElseThrow();
    assertThat(a).isNotEmpty().isEqualTo(b);
  }
}
