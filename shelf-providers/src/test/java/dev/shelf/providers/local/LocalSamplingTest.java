package dev.shelf.providers.local;

import static java.util.Objects.requireNonNull;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shelf.api.ChatChunk;
import dev.shelf.api.ChatMessage;
import dev.shelf.api.ChatRequest;
import dev.shelf.api.CompletionChunk;
import dev.shelf.api.CompletionRequest;
import dev.shelf.api.Json;
import dev.shelf.engine.model.LlamaSequence;
import dev.shelf.engine.model.LogLikelihood;
import dev.shelf.engine.model.Perplexity;
import dev.shelf.engine.template.TemplateInput;
import dev.shelf.providers.spi.Call;
import dev.shelf.providers.spi.ProviderException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.assertj.core.data.Offset;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Sampling settings, stop strings, logprobs and prompt scoring of the local provider. */
class LocalSamplingTest {
  static LocalProvider provider;

  @BeforeAll
  static void start() {
    provider = new LocalProvider("local", LocalProviderTest.dir(), 2);
  }

  @AfterAll
  static void stop() {
    provider.close();
  }

  /** A streamed chat request for the test prompt with the settings these tests vary. */
  static ChatRequest request(
      int max,
      double temperature,
      @Nullable Long seed,
      @Nullable List<String> stop,
      @Nullable Boolean logprobs,
      @Nullable Integer top,
      @Nullable Double frequency,
      ObjectNode extra) {
    return new ChatRequest(
        LocalProviderTest.FILE,
        List.of(ChatMessage.of("user", "Tell me a story about a cat.")),
        true,
        true,
        null,
        null,
        null,
        null,
        stop,
        null,
        max,
        temperature,
        null,
        seed,
        null,
        logprobs,
        top,
        null,
        frequency,
        null,
        extra);
  }

  static LocalProviderTest.Out chat(
      int max,
      double temperature,
      @Nullable Long seed,
      @Nullable List<String> stop,
      ObjectNode extra) {
    return run(request(max, temperature, seed, stop, null, null, null, extra));
  }

  static LocalProviderTest.Out run(ChatRequest request) {
    return LocalProviderTest.run(provider, request);
  }

  static int[] promptIds() {
    String text =
        m().template()
            .render(
                TemplateInput.of(
                    List.of(Map.of("role", "user", "content", "Tell me a story about a cat."))));
    return LocalProvider.encode(m().tokenizer(), text);
  }

  static LocalProvider.Loaded m() {
    return provider.model(LocalProviderTest.FILE);
  }

  /** Greedy generation with llama.cpp's repetition penalty and OpenAI's penalties, by hand. */
  static int[] penalizedGreedy(int[] prompt, int n, double rep, int lastN, double freq) {
    LlamaSequence seq = m().model().newSequence(prompt.length + n);
    float[] logits = seq.prefill(prompt, 0);
    List<Integer> history = new ArrayList<>();
    for (int t : prompt) {
      history.add(t);
    }
    Map<Integer, Integer> counts = new HashMap<>();
    int[] out = new int[n];
    for (int i = 0; i < n; i++) {
      float[] l = logits.clone();
      List<Integer> window = history.subList(Math.max(0, history.size() - lastN), history.size());
      for (int t : new java.util.HashSet<>(window)) {
        l[t] = l[t] > 0 ? (float) (l[t] / rep) : (float) (l[t] * rep);
      }
      counts.forEach((t, c) -> l[t] = (float) (l[t] - c * freq));
      int best = 0;
      for (int t = 1; t < l.length; t++) {
        if (l[t] > l[best]) {
          best = t;
        }
      }
      out[i] = best;
      history.add(best);
      counts.merge(best, 1, Integer::sum);
      if (i + 1 < n) {
        logits = seq.forward(best, prompt.length + i);
      }
    }
    return out;
  }

  static String decodeUntilEnd(int[] ids) {
    int end = ids.length;
    for (int i = 0; i < ids.length; i++) {
      if (m().tokenizer().isEndOfGeneration(ids[i])) {
        end = i;
        break;
      }
    }
    return m().tokenizer().decode(java.util.Arrays.copyOf(ids, end));
  }

  @Test
  void penaltiesChangeGreedyAsLlamaCppAndOpenAiDefineThem() {
    int[] prompt = promptIds();
    String plain = chat(40, 0.0, null, null, Json.object()).text();
    ObjectNode rep = Json.object().put("repetition_penalty", 1.5).put("repeat_last_n", 16);
    String penalized = chat(40, 0.0, null, null, rep).text();
    assertThat(penalized).isEqualTo(decodeUntilEnd(penalizedGreedy(prompt, 40, 1.5, 16, 0)));
    assertThat(penalized).isNotEqualTo(plain);
    var withFreq = request(40, 0.0, null, null, null, null, 0.8, Json.object());
    assertThat(run(withFreq).text())
        .isEqualTo(decodeUntilEnd(penalizedGreedy(prompt, 40, 1.0, 64, 0.8)));
  }

  @Test
  void theSameSeedGivesTheSameTextWhileOtherRequestsShareTheBatcher() throws Exception {
    ObjectNode extra = Json.object().put("top_k", 50).put("min_p", 0.02);
    String alone = chat(40, 1.0, 99L, null, extra).text();
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      List<Future<String>> futures = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        long seed = i % 2 == 0 ? 99L : 1000L + i;
        futures.add(pool.submit(() -> chat(40, 1.0, seed, null, extra).text()));
      }
      assertThat(futures.get(0).get()).isEqualTo(alone);
      assertThat(futures.get(2).get()).isEqualTo(alone);
      // another seed draws another text (40 tokens at temperature 1 over 512 tokens)
      assertThat(futures.get(1).get()).isNotEqualTo(alone);
    }
  }

  @Test
  void aStopStringSplitAcrossTokensIsNeverSent() {
    LocalProviderTest.Out full = chat(40, 0.0, null, null, Json.object());
    // the token texts, to find a stop string that begins in one token and ends in the next
    List<String> pieces = new ArrayList<>();
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    for (ChatChunk c : run(request(40, 0.0, null, null, true, 0, null, Json.object())).chunks()) {
      for (ChatChunk.Choice ch : c.choices()) {
        if (ch.logprobs() != null) {
          for (JsonNode e : ch.logprobs().get("content")) {
            pieces.add(e.get("token").asText());
            e.get("bytes").forEach(b -> bytes.write(b.asInt()));
          }
        }
      }
    }
    assertThat(bytes.toString(java.nio.charset.StandardCharsets.UTF_8)).isEqualTo(full.text());
    int k = 4;
    while (pieces.get(k).length() < 2
        || pieces.get(k + 1).length() < 2
        || pieces.get(k).startsWith("bytes:")
        || pieces.get(k + 1).startsWith("bytes:")) {
      k++;
    }
    String stop = pieces.get(k).substring(pieces.get(k).length() - 1) + pieces.get(k + 1).charAt(0);
    int expected = full.text().indexOf(stop);
    LocalProviderTest.Out out = chat(40, 0.0, null, List.of(stop, "zzzq"), Json.object());
    assertThat(out.text()).isEqualTo(full.text().substring(0, expected));
    assertThat(out.finish()).isEqualTo("stop");
    StringBuilder sent = new StringBuilder();
    for (ChatChunk c : out.chunks()) {
      for (ChatChunk.Choice ch : c.choices()) {
        sent.append(ch.delta().content() == null ? "" : ch.delta().content());
        assertThat(full.text()).startsWith(sent.toString());
        assertThat(sent.toString()).doesNotContain(stop);
      }
    }
  }

  @Test
  void aStopTokenEndsGenerationAndIsNotSent() {
    int[] ids = m().model().newSequence(512).generate(promptIds(), 30);
    int at = 6;
    while (m().tokenizer().isEndOfGeneration(ids[at])) {
      at++;
    }
    int stopToken = ids[at];
    int first = 0;
    while (ids[first] != stopToken && !m().tokenizer().isEndOfGeneration(ids[first])) {
      first++;
    }
    ObjectNode extra = Json.object();
    extra.putArray("stop_token_ids").add(stopToken);
    LocalProviderTest.Out out = chat(30, 0.0, null, null, extra);
    assertThat(out.text()).isEqualTo(decodeUntilEnd(java.util.Arrays.copyOf(ids, first)));
    assertThat(out.finish()).isEqualTo("stop");
    assertThat(out.usage().completionTokens()).isEqualTo(first + 1);
    ObjectNode outside = Json.object();
    outside.putArray("stop_token_ids").add(m().tokenizer().vocabSize());
    assertThatThrownBy(() -> chat(5, 0.0, null, null, outside))
        .isInstanceOfSatisfying(
            ProviderException.class, e -> assertThat(e.param()).isEqualTo("stop_token_ids"));
  }

  @Test
  void logitBiasBansAndForcesTokens() {
    int[] greedy = m().model().newSequence(512).generate(promptIds(), 8);
    // banning the greedy first token changes the first token
    ObjectNode ban = Json.object();
    ban.putObject("logit_bias").put(String.valueOf(greedy[0]), -100);
    String banned = chat(8, 0.0, null, null, ban).text();
    assertThat(banned).isNotEqualTo(decodeUntilEnd(greedy));
    // forcing a token (one that is no end of generation) makes every token it
    int forced = greedy[2];
    ObjectNode force = Json.object();
    force.putObject("logit_bias").put(String.valueOf(forced), 100);
    LocalProviderTest.Out out = chat(6, 1.0, 5L, null, force);
    String piece =
        new String(m().tokenizer().piece(forced, false), java.nio.charset.StandardCharsets.UTF_8);
    assertThat(out.text()).isEqualTo(piece.repeat(6));
    // logprobs are those of the raw logits, before the bias
    ObjectNode forceWithLogprobs = Json.object();
    forceWithLogprobs.putObject("logit_bias").put(String.valueOf(forced), 100);
    List<Double> biased =
        firstLogprobs(run(request(3, 0.0, null, null, true, 0, null, forceWithLogprobs)));
    List<Double> plain =
        firstLogprobs(run(request(3, 0.0, null, null, true, 0, null, Json.object())));
    assertThat(biased).allMatch(l -> l <= 0);
    // the first token differs (forced) but the distribution it is scored under is the same
    assertThat(biased.getFirst()).isLessThan(plain.getFirst());
    for (var bad :
        List.of(
            Json.object().put("abc", 1),
            Json.object().put("5", 101),
            Json.object().put(String.valueOf(m().tokenizer().vocabSize()), 1))) {
      ObjectNode extra = Json.object();
      extra.set("logit_bias", bad);
      assertThatThrownBy(() -> chat(5, 0.0, null, null, extra))
          .as(bad.toString())
          .isInstanceOfSatisfying(
              ProviderException.class, e -> assertThat(e.param()).isEqualTo("logit_bias"));
    }
  }

  /** The logprob of each reported token, in order. */
  static List<Double> firstLogprobs(LocalProviderTest.Out out) {
    List<Double> all = new ArrayList<>();
    for (var c : out.chunks()) {
      for (var ch : c.choices()) {
        if (ch.logprobs() != null) {
          ch.logprobs().path("content").forEach(e -> all.add(e.path("logprob").asDouble()));
        }
      }
    }
    return all;
  }

  @Test
  void chatLogprobsAreTheRawLogSoftmaxWithSortedAlternatives() {
    var req = request(12, 0.0, null, null, true, 5, null, Json.object());
    LocalProviderTest.Out out = run(req);
    List<JsonNode> entries = new ArrayList<>();
    for (ChatChunk c : out.chunks()) {
      for (ChatChunk.Choice ch : c.choices()) {
        if (ch.logprobs() != null) {
          ch.logprobs().get("content").forEach(entries::add);
        }
      }
    }
    // the same text as without logprobs, one entry per generated token (12, no end token)
    assertThat(out.text()).isEqualTo(chat(12, 0.0, null, null, Json.object()).text());
    assertThat(entries).hasSize(out.usage().completionTokens());
    // independently: feed the prompt and the chosen tokens, log-softmax of each step's logits
    int[] prompt = promptIds();
    LlamaSequence seq = m().model().newSequence(prompt.length + entries.size());
    float[] logits = seq.prefill(prompt, 0);
    for (int i = 0; i < entries.size(); i++) {
      JsonNode e = entries.get(i);
      JsonNode top = e.get("top_logprobs");
      assertThat(top).hasSize(5);
      int chosen = LlamaSequence.argmax(logits);
      assertThat(e.get("token").asText())
          .isEqualTo(LogprobsJson.text(m().tokenizer().piece(chosen, false)));
      assertThat(e.get("logprob").asDouble())
          .isCloseTo(Perplexity.logSoftmax(logits, chosen), Offset.offset(1e-9));
      // greedy: the chosen token is the first alternative
      assertThat(top.get(0).get("token").asText()).isEqualTo(e.get("token").asText());
      assertThat(top.get(0).get("logprob").asDouble()).isEqualTo(e.get("logprob").asDouble());
      double mass = 0;
      for (int j = 0; j < top.size(); j++) {
        mass += Math.exp(top.get(j).get("logprob").asDouble());
        if (j > 0) {
          assertThat(top.get(j).get("logprob").asDouble())
              .isLessThanOrEqualTo(top.get(j - 1).get("logprob").asDouble());
        }
      }
      assertThat(mass).isLessThanOrEqualTo(1.0 + 1e-9);
      assertThat(e.get("bytes")).isNotEmpty();
      logits = seq.forward(chosen, prompt.length + i);
    }
  }

  @Test
  void logprobsAreOfTheModelNotOfTheSamplingSettings() {
    ObjectNode hot = Json.object().put("repetition_penalty", 2.0);
    var req = request(6, 0.0, 5L, null, true, 0, null, hot);
    LocalProviderTest.Out out = run(req);
    JsonNode first = null;
    for (ChatChunk c : out.chunks()) {
      for (ChatChunk.Choice ch : c.choices()) {
        if (ch.logprobs() != null && first == null) {
          first = ch.logprobs().get("content").get(0);
        }
      }
    }
    JsonNode entry = requireNonNull(first);
    int[] prompt = promptIds();
    float[] logits = m().model().newSequence(prompt.length + 1).prefill(prompt, 0);
    int token = -1;
    for (int t = 0; t < logits.length; t++) {
      if (LogprobsJson.text(m().tokenizer().piece(t, true)).equals(entry.get("token").asText())) {
        token = t;
        break;
      }
    }
    assertThat(entry.get("logprob").asDouble())
        .isCloseTo(Perplexity.logSoftmax(logits, token), Offset.offset(1e-9));
    assertThat(entry.get("top_logprobs")).isEmpty();
  }

  static List<CompletionChunk> complete(JsonNode prompt, int max, ObjectNode extra) {
    var chunks = new ArrayList<CompletionChunk>();
    provider.completion(
        new CompletionRequest(
            LocalProviderTest.FILE, prompt, true, true, max, 0.0, null, null, extra),
        Call.unbounded("t"),
        chunks::add);
    return chunks;
  }

  static CompletionChunk aggregate(List<CompletionChunk> chunks) {
    var agg = new CompletionChunk.Aggregator();
    chunks.forEach(agg);
    return agg.result();
  }

  @Test
  void echoWithLogprobsAndNoTokensScoresThePromptAsTheEngineDoes() {
    String text = "Once upon a time, there was a little girl named Lily.";
    ObjectNode extra = Json.object().put("echo", true).put("logprobs", 1);
    CompletionChunk c = aggregate(complete(Json.MAPPER.getNodeFactory().textNode(text), 0, extra));
    CompletionChunk.Choice choice = c.choices().getFirst();
    assertThat(choice.text()).isEqualTo(text);
    assertThat(choice.finishReason()).isEqualTo("length");
    assertThat(requireNonNull(c.usage()).completionTokens()).isZero();
    JsonNode lp = requireNonNull(choice.logprobs());
    int[] ids = LocalProvider.encode(m().tokenizer(), text);
    assertThat(lp.get("tokens")).hasSize(ids.length);
    assertThat(lp.get("token_logprobs").get(0).isNull()).isTrue();
    assertThat(lp.get("top_logprobs").get(0).isNull()).isTrue();
    // the tokens' texts at their offsets make up the echoed text
    StringBuilder joined = new StringBuilder();
    for (int i = 0; i < ids.length; i++) {
      assertThat(lp.get("text_offset").get(i).asInt()).isLessThanOrEqualTo(text.length());
      joined.append(lp.get("tokens").get(i).asText());
    }
    assertThat(joined.toString().strip()).isEqualTo(text);
    // the summed prompt logprobs equal the engine's log-likelihood of the text after BOS
    double sum = 0;
    for (int i = 1; i < ids.length; i++) {
      sum += lp.get("token_logprobs").get(i).asDouble();
      assertThat(lp.get("top_logprobs").get(i).size()).isBetween(1, 2);
    }
    LogLikelihood.Result r =
        new LogLikelihood(m().model(), 128)
            .score(new int[] {ids[0]}, java.util.Arrays.copyOfRange(ids, 1, ids.length));
    assertThat(sum).isCloseTo(r.logLikelihood(), Offset.offset(1e-9));
  }

  @Test
  void severalPromptsAreSeveralChoicesEachAsIfAlone() {
    String context = "The little dog was happy. Answer:";
    var prompts = Json.MAPPER.createArrayNode().add(context + " A").add(context + " B");
    ObjectNode extra = Json.object().put("echo", true).put("logprobs", 0);
    CompletionChunk both = aggregate(complete(prompts, 3, extra));
    assertThat(both.choices()).hasSize(2);
    for (int i = 0; i < 2; i++) {
      CompletionChunk alone = aggregate(complete(prompts.get(i), 3, extra.deepCopy()));
      assertThat(both.choices().get(i).index()).isEqualTo(i);
      assertThat(both.choices().get(i).text()).isEqualTo(alone.choices().getFirst().text());
      assertThat(both.choices().get(i).logprobs()).isEqualTo(alone.choices().getFirst().logprobs());
    }
    int tokens =
        LocalProvider.encode(m().tokenizer(), context + " A").length
            + LocalProvider.encode(m().tokenizer(), context + " B").length;
    assertThat(requireNonNull(both.usage()).promptTokens()).isEqualTo(tokens);
  }

  @Test
  void outOfRangeSettingsAreBadRequestsNamingTheParameter() {
    record Case(String param, JsonNode value) {}
    var f = Json.MAPPER.getNodeFactory();
    for (Case c :
        List.of(
            new Case("top_k", f.numberNode(-2)),
            new Case("top_k", f.textNode("many")),
            new Case("min_p", f.numberNode(1.5)),
            new Case("repetition_penalty", f.numberNode(0)),
            new Case("repetition_penalty", f.numberNode(-1)),
            new Case("repeat_last_n", f.numberNode(-5)))) {
      ObjectNode extra = Json.object().set(c.param(), c.value());
      assertThatThrownBy(() -> chat(5, 1.0, null, null, extra))
          .as(c.toString())
          .isInstanceOfSatisfying(
              ProviderException.class,
              e -> {
                assertThat(e.kind()).isEqualTo(ProviderException.Kind.BAD_REQUEST);
                assertThat(e.param()).isEqualTo(c.param());
                assertThat(e.kind().status()).isEqualTo(400);
              });
    }
    var text = f.textNode("hi");
    for (Case c :
        List.of(
            new Case("logprobs", f.numberNode(21)),
            new Case("echo", f.textNode("yes")),
            new Case("seed", f.textNode("x")),
            new Case("frequency_penalty", f.numberNode(3)),
            new Case("presence_penalty", f.numberNode(-2.5)),
            new Case("stop", f.numberNode(3)),
            new Case("best_of", f.numberNode(2)))) {
      ObjectNode extra = Json.object().set(c.param(), c.value());
      assertThatThrownBy(() -> complete(text, 3, extra))
          .as(c.toString())
          .isInstanceOfSatisfying(
              ProviderException.class, e -> assertThat(e.param()).isEqualTo(c.param()));
    }
  }
}
