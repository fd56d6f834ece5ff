package dev.shelf.providers.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shelf.api.ApiException;
import dev.shelf.api.ChatRequest;
import dev.shelf.api.CompletionRequest;
import dev.shelf.api.Fields;
import dev.shelf.engine.sampling.SamplingParams;
import dev.shelf.providers.spi.ProviderException;
import dev.shelf.providers.spi.ProviderException.Kind;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ThreadLocalRandom;
import org.jspecify.annotations.Nullable;

/**
 * A request's generation settings for the engine, read from the typed fields of the canonical
 * request and from its pass-through extras: OpenAI's fields, and the extensions llama.cpp's and
 * vLLM's servers accept ({@code top_k}, {@code min_p}, {@code repetition_penalty}, {@code
 * repeat_last_n}). Every bad value is a 400 naming the parameter, as OpenAI words it. The extras
 * are read here, not typed in {@code ChatRequest}, so that they keep passing through untouched to
 * OpenAI-compatible upstreams (vLLM takes the same names).
 *
 * @param limit the most tokens to generate, null for the default
 * @param stops stop strings, non-empty ones only
 * @param stopTokens token ids that end generation as the end-of-generation tokens do ({@code
 *     stop_token_ids}, vLLM's extension): never sent, {@code finish_reason: stop}
 * @param logitBias OpenAI's {@code logit_bias}: added to the token's logit before sampling
 * @param logprobs whether to report log-probabilities of the tokens
 * @param topLogprobs how many alternatives each reported token lists (0 to 20)
 * @param echo (completions) whether the answer begins with the prompt
 * @param bestOf (completions) candidates generated per prompt, of which the {@code n} most likely
 *     per token are returned; 1 when there are no more candidates than choices
 */
record LocalParams(
    SamplingParams sampling,
    @Nullable Integer limit,
    List<String> stops,
    Set<Integer> stopTokens,
    Map<Integer, Float> logitBias,
    boolean logprobs,
    int topLogprobs,
    boolean echo,
    int bestOf) {

  /** The most alternatives per token: OpenAI's limit for chat's {@code top_logprobs}. */
  static final int MAX_TOP_LOGPROBS = 20;

  static LocalParams of(ChatRequest r) {
    ObjectNode extra = r.extra();
    return new LocalParams(
        sampling(
            r.temperature(), r.topP(), r.frequencyPenalty(), r.presencePenalty(), r.seed(), extra),
        r.outputLimit(),
        nonEmpty(r.stop()),
        stopTokens(extra),
        logitBias(extra),
        Boolean.TRUE.equals(r.logprobs()),
        r.topLogprobs() == null ? 0 : r.topLogprobs(),
        false,
        1);
  }

  static LocalParams of(CompletionRequest r) {
    ObjectNode extra = r.extra();
    Integer best = read(() -> Fields.integer(extra, "best_of", "best_of", 1, 128));
    int n = r.n() == null ? 1 : r.n();
    if (best != null && best < n) {
      throw bad(
          "best_of",
          "Invalid 'best_of': " + best + " is fewer than n (" + n + "); it must be at least n.");
    }
    if (best != null && best > n && r.stream()) {
      throw bad(
          "best_of",
          "Invalid 'best_of': candidates beyond n cannot be streamed (the best are known at the end).");
    }
    if (best != null && best > Choices.MAX) {
      throw bad(
          "best_of",
          "Invalid 'best_of': the local provider generates at most "
              + Choices.MAX
              + " candidates.");
    }
    Integer logprobs =
        read(() -> Fields.integer(extra, "logprobs", "logprobs", 0, MAX_TOP_LOGPROBS));
    Boolean echo = read(() -> Fields.bool(extra, "echo", "echo"));
    return new LocalParams(
        sampling(
            r.temperature(),
            r.topP(),
            read(() -> Fields.number(extra, "frequency_penalty", "frequency_penalty", -2, 2)),
            read(() -> Fields.number(extra, "presence_penalty", "presence_penalty", -2, 2)),
            read(() -> Fields.longValue(extra, "seed", "seed", Long.MIN_VALUE, Long.MAX_VALUE)),
            extra),
        r.maxTokens(),
        nonEmpty(stops(extra)),
        stopTokens(extra),
        logitBias(extra),
        logprobs != null,
        logprobs == null ? 0 : logprobs,
        Boolean.TRUE.equals(echo),
        best == null || best == n ? 1 : best);
  }

  private static SamplingParams sampling(
      @Nullable Double temperature,
      @Nullable Double topP,
      @Nullable Double frequency,
      @Nullable Double presence,
      @Nullable Long seed,
      ObjectNode extra) {
    Integer topK = read(() -> Fields.integer(extra, "top_k", "top_k", -1, Integer.MAX_VALUE));
    Double minP = read(() -> Fields.number(extra, "min_p", "min_p", 0, 1));
    Double rep =
        read(() -> Fields.number(extra, "repetition_penalty", "repetition_penalty", 0, 10));
    if (rep != null && rep == 0) {
      throw bad(
          "repetition_penalty",
          "Invalid 'repetition_penalty': 0 is out of range; expected a value above 0 (1 is off).");
    }
    Integer lastN =
        read(() -> Fields.integer(extra, "repeat_last_n", "repeat_last_n", -1, 1 << 20));
    // OpenAI's defaults: temperature 1, top_p 1, no penalties; top_k -1 (vLLM's "off") is 0 here
    return new SamplingParams(
        temperature == null ? 1.0 : temperature,
        topK == null || topK < 0 ? 0 : topK,
        topP == null ? 1.0 : topP,
        minP == null ? 0 : minP,
        rep == null ? 1 : rep,
        lastN == null ? SamplingParams.DEFAULT_PENALTY_LAST_N : lastN,
        frequency == null ? 0 : frequency,
        presence == null ? 0 : presence,
        seed == null ? ThreadLocalRandom.current().nextLong() : mix(seed));
  }

  /**
   * The settings of choice {@code index} of {@code n}: its own seed (the request's, already spread,
   * plus {@code index}, spread again), everything else the same.
   */
  LocalParams forChoice(int index) {
    if (index == 0) {
      return this;
    }
    SamplingParams s = sampling;
    return new LocalParams(
        new SamplingParams(
            s.temperature(),
            s.topK(),
            s.topP(),
            s.minP(),
            s.repetitionPenalty(),
            s.penaltyLastN(),
            s.frequencyPenalty(),
            s.presencePenalty(),
            mix(s.seed() + index)),
        limit,
        stops,
        stopTokens,
        logitBias,
        logprobs,
        topLogprobs,
        echo,
        bestOf);
  }

  /** A seed spread over all 64 bits, so that seeds 1, 2, 3 start unrelated generators. */
  private static long mix(long seed) {
    return new SplittableRandom(seed).nextLong();
  }

  /**
   * OpenAI's {@code logit_bias}: token id (a string key) to a bias in [-100, 100] added to its
   * logit before sampling (-100 in effect bans it, 100 in effect forces it).
   */
  private static Map<Integer, Float> logitBias(ObjectNode extra) {
    JsonNode bias = Fields.present(extra, "logit_bias");
    if (bias == null) {
      return Map.of();
    }
    if (!bias.isObject()) {
      throw bad("logit_bias", "Invalid 'logit_bias': expected an object of token ids to biases.");
    }
    Map<Integer, Float> out = new HashMap<>();
    for (var e : bias.properties()) {
      int id;
      try {
        id = Integer.parseInt(e.getKey());
      } catch (NumberFormatException ex) {
        id = -1;
      }
      if (id < 0) {
        throw bad(
            "logit_bias",
            "Invalid 'logit_bias': '"
                + e.getKey()
                + "' is not a token id (a non-negative integer).");
      }
      JsonNode v = e.getValue();
      if (!v.isNumber() || v.asDouble() < -100 || v.asDouble() > 100) {
        throw bad(
            "logit_bias",
            "Invalid 'logit_bias': the bias of token "
                + id
                + " must be a number in [-100, 100], got "
                + v
                + ".");
      }
      out.put(id, (float) v.asDouble());
    }
    return Map.copyOf(out);
  }

  private static @Nullable List<String> stops(ObjectNode extra) {
    JsonNode node = Fields.present(extra, "stop");
    if (node == null) {
      return null;
    }
    if (node.isTextual()) {
      return List.of(node.asText());
    }
    if (!node.isArray() || node.size() > 4) {
      throw bad("stop", "Invalid 'stop': expected a string or an array of at most 4 strings.");
    }
    List<String> out = new ArrayList<>();
    for (JsonNode s : node) {
      if (!s.isTextual()) {
        throw bad("stop", "Invalid 'stop': expected a string or an array of at most 4 strings.");
      }
      out.add(s.asText());
    }
    return out;
  }

  private static Set<Integer> stopTokens(ObjectNode extra) {
    JsonNode node = Fields.present(extra, "stop_token_ids");
    if (node == null) {
      return Set.of();
    }
    String expected = "Invalid 'stop_token_ids': expected an array of non-negative token ids.";
    if (!node.isArray()) {
      throw bad("stop_token_ids", expected);
    }
    Set<Integer> out = new HashSet<>();
    for (JsonNode t : node) {
      if (!t.isIntegralNumber() || !t.canConvertToInt() || t.asInt() < 0) {
        throw bad("stop_token_ids", expected);
      }
      out.add(t.asInt());
    }
    return Set.copyOf(out);
  }

  private static List<String> nonEmpty(@Nullable List<String> stops) {
    List<String> out = new ArrayList<>();
    if (stops != null) {
      for (String s : stops) {
        if (!s.isEmpty()) {
          out.add(s);
        }
      }
    }
    return List.copyOf(out);
  }

  /** Runs a {@link Fields} read, turning its 400 into the provider's. */
  private static <T> @Nullable T read(java.util.function.Supplier<@Nullable T> read) {
    try {
      return read.get();
    } catch (ApiException e) {
      throw bad(e.param(), String.valueOf(e.getMessage()));
    }
  }

  static ProviderException bad(@Nullable String param, String message) {
    return new ProviderException(
        Kind.BAD_REQUEST, message, "invalid_request_error", param, 0, null, null);
  }
}
