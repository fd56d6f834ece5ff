package dev.shelf.eval.exec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shelf.api.Json;
import dev.shelf.eval.dataset.ChoiceItem;
import dev.shelf.eval.dataset.Item;
import dev.shelf.eval.prompt.Prompt;
import dev.shelf.eval.run.Answerer;
import dev.shelf.eval.run.Measurement;
import dev.shelf.eval.run.Response;
import java.io.IOException;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Answers a multiple-choice item by log-likelihood, as lm-evaluation-harness scores MMLU-style
 * tasks ({@code output_type: multiple_choice}): each choice's continuation is its letter after a
 * space ({@code " A"}, {@code " B"}, ...: the harness's default {@code target_delimiter} and the
 * letters of its MMLU and CMMLU {@code doc_to_choice}), scored by the sum of the log-probabilities
 * of its tokens after the prompt; the prediction is the choice with the highest sum (the first on a
 * tie, as {@code argmax}), which is the harness's {@code acc}. The answer's text is that letter, so
 * the run's multiple-choice scorer reads it like any answer.
 *
 * <h2>How it reaches the model</h2>
 *
 * One {@code POST {base}/completions} per item through the gateway (keys, limits and metering
 * apply): {@code prompt} the list of the prompt followed by each continuation, {@code echo: true,
 * logprobs: 0, max_tokens: 0}, which asks the server for the log-probabilities of the prompt's own
 * tokens and generates nothing (what vLLM answers, and Shelf's local provider, which runs the
 * prompts through one sequence so the shared question is computed once). The continuation's tokens
 * are those whose text ends after the prompt in the echoed text ({@code text_offset}): the prompt
 * is tokenized with its continuation, as the harness tokenizes context and continuation together
 * ({@code whole_enc[len(context_enc):]}), which is the same split wherever the tokenizer does not
 * merge across the boundary (a SentencePiece or BPE tokenizer starts a new token at the space).
 *
 * <p>A failed call, an error body, or logprobs missing from the answer make a failed response, as
 * {@link OpenAiAnswerer} does; nothing here throws.
 */
public final class LoglikelihoodAnswerer implements Answerer<Item> {
  private final HttpClient http;
  private final URI completions;
  private final @Nullable String key;
  private final String model;
  private final @Nullable ModelPrice price;
  private final Duration timeout;

  public LoglikelihoodAnswerer(
      HttpClient http,
      URI baseUrl,
      @Nullable String key,
      String model,
      @Nullable ModelPrice price,
      Duration timeout) {
    this.http = http;
    this.completions = OpenAiAnswerer.resolve(baseUrl, "completions");
    this.key = key;
    this.model = model;
    this.price = price;
    this.timeout = timeout;
  }

  /** The continuation of choice {@code index}: a space and its letter. */
  public static String continuation(int index) {
    return " " + ChoiceItem.letter(index);
  }

  /** The request body for an item of {@code choices} choices (a pure function, for tests). */
  public ObjectNode body(Prompt prompt, int choices) {
    ObjectNode body = Json.object();
    body.put("model", model);
    var prompts = body.putArray("prompt");
    for (int i = 0; i < choices; i++) {
      prompts.add(prompt.text() + continuation(i));
    }
    body.put("max_tokens", 0);
    body.put("echo", true);
    body.put("logprobs", 0);
    body.put("temperature", 0);
    return body;
  }

  @Override
  public Response answer(Item item, Prompt prompt) {
    if (!(item instanceof ChoiceItem choice)) {
      return failed("log-likelihood scoring is for multiple-choice items", System.nanoTime(), 0, 0);
    }
    int n = choice.choices().size();
    var builder =
        HttpRequest.newBuilder(completions)
            .timeout(timeout)
            .header("content-type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofByteArray(Json.bytes(body(prompt, n))));
    if (key != null) {
      builder.header("authorization", "Bearer " + key);
    }
    HttpRequest request = builder.build();
    return Retries.run(() -> attempt(request, prompt, n));
  }

  private Retries.Attempt attempt(HttpRequest request, Prompt prompt, int n) {
    long start = System.nanoTime();
    HttpResponse<String> res;
    try {
      res = http.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Retries.Attempt.done(failed("interrupted", start, 0, 0));
    } catch (IOException e) {
      return new Retries.Attempt(
          failed("call failed: " + Retries.why(e), start, 0, 0), Retries.afterFailure(e));
    } catch (RuntimeException e) {
      return Retries.Attempt.done(failed("call failed: " + Retries.why(e), start, 0, 0));
    }
    if (res.statusCode() >= 400) {
      return new Retries.Attempt(
          failed(
              "HTTP " + res.statusCode() + ": " + OpenAiAnswerer.errorMessage(res.body()),
              start,
              0,
              0),
          Retries.afterStatus(res));
    }
    return Retries.Attempt.done(read(res.body(), prompt, n, start));
  }

  /** The answer's pick: the choice of the highest log-likelihood. */
  private Response read(String text, Prompt prompt, int n, long start) {
    JsonNode json;
    try {
      json = Json.MAPPER.readTree(text);
    } catch (IOException e) {
      return failed("the answer is not JSON", start, 0, 0);
    }
    long in = json.path("usage").path("prompt_tokens").asLong(0);
    long out = json.path("usage").path("completion_tokens").asLong(0);
    double[] scores;
    try {
      scores = scores(json, prompt.text(), n);
    } catch (IllegalArgumentException e) {
      return failed(String.valueOf(e.getMessage()), start, in, out);
    }
    int best = 0;
    for (int i = 1; i < n; i++) {
      if (scores[i] > scores[best]) {
        best = i;
      }
    }
    return Response.of(String.valueOf(ChoiceItem.letter(best)), measure(start, in, out));
  }

  /**
   * Each choice's log-likelihood from a {@code /v1/completions} answer with echoed prompt logprobs:
   * the sum of {@code token_logprobs} over the tokens whose text ends after {@code context}.
   *
   * @throws IllegalArgumentException naming what is missing when the answer lacks a choice, its
   *     echo or its logprobs
   */
  public static double[] scores(JsonNode answer, String context, int choices) {
    double[] out = new double[choices];
    boolean[] seen = new boolean[choices];
    for (JsonNode c : answer.path("choices")) {
      int index = c.path("index").asInt(-1);
      if (index < 0 || index >= choices) {
        throw new IllegalArgumentException("the answer has a choice of index " + index);
      }
      out[index] = loglikelihood(c, context.length(), continuation(index));
      seen[index] = true;
    }
    for (int i = 0; i < choices; i++) {
      if (!seen[i]) {
        throw new IllegalArgumentException("the answer has no choice " + i);
      }
    }
    return out;
  }

  private static double loglikelihood(JsonNode choice, int contextChars, String continuation) {
    String text = choice.path("text").asText("");
    JsonNode lp = choice.path("logprobs");
    JsonNode logprobs = lp.path("token_logprobs");
    JsonNode offsets = lp.path("text_offset");
    if (!logprobs.isArray() || !offsets.isArray() || logprobs.size() != offsets.size()) {
      throw new IllegalArgumentException(
          "the answer has no prompt logprobs (the model's server must support echo with logprobs)");
    }
    if (!text.endsWith(continuation)) {
      throw new IllegalArgumentException(
          "the echoed prompt does not end with '" + continuation + "'");
    }
    // where the continuation begins in the echoed text (the echo may differ from the prompt sent
    // in its first characters, never in its end)
    int boundary = text.length() - continuation.length();
    List<Double> picked = new ArrayList<>();
    int n = offsets.size();
    for (int i = 0; i < n; i++) {
      int end = i + 1 < n ? offsets.get(i + 1).asInt() : text.length();
      if (end > boundary) {
        JsonNode v = logprobs.get(i);
        if (!v.isNumber()) {
          throw new IllegalArgumentException("a continuation token has no logprob");
        }
        picked.add(v.asDouble());
      }
    }
    if (picked.isEmpty()) {
      throw new IllegalArgumentException("no token of the continuation was scored");
    }
    double sum = 0;
    for (double d : picked) {
      sum += d;
    }
    return sum;
  }

  private Measurement measure(long start, long in, long out) {
    return new Measurement(
        Duration.ofNanos(System.nanoTime() - start),
        null,
        in,
        out,
        price == null ? BigDecimal.ZERO : price.cost(in, out));
  }

  private Response failed(String error, long start, long in, long out) {
    return Response.failed(error, measure(start, in, out));
  }
}
