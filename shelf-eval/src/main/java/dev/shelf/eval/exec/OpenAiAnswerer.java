package dev.shelf.eval.exec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shelf.api.Json;
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
import java.util.Iterator;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * Asks one model of an OpenAI-compatible endpoint, streaming: {@code POST {base}/chat/completions}
 * with {@code stream: true} and {@code stream_options.include_usage}, so that the time to the first
 * content token is measured on the wire and the token counts come from the server's usage record.
 * Pointed at a running Shelf's {@code /v1} with a Shelf key, every call goes through the gateway:
 * the key's limits and budget apply and the ledger meters it.
 *
 * <p>Nothing here throws for a failed call: an HTTP error becomes {@code HTTP 429: <the error's
 * message>}, an error event inside the stream, a stream cut before {@code [DONE]}, a refused
 * connection or a timeout become a failed {@link Response} with the latency measured so far (a
 * refused connection and a 502, 503 or 504 only after {@link Retries} has tried again). A server
 * that ignores {@code stream} and answers one JSON body is read as such (no TTFT then). Without a
 * usage record the token counts are 0 (and so is the cost).
 */
public final class OpenAiAnswerer implements Answerer<Item> {
  private final HttpClient http;
  private final URI completions;
  private final @Nullable String key;
  private final String model;
  private final ChatSettings settings;
  private final @Nullable ModelPrice price;
  private final Duration timeout;

  public OpenAiAnswerer(
      HttpClient http,
      URI baseUrl,
      @Nullable String key,
      String model,
      ChatSettings settings,
      @Nullable ModelPrice price,
      Duration timeout) {
    this.http = http;
    this.completions = resolve(baseUrl, "chat/completions");
    this.key = key;
    this.model = model;
    this.settings = settings;
    this.price = price;
    this.timeout = timeout;
  }

  /** {@code base} with {@code path} appended, whether or not base ends in a slash. */
  public static URI resolve(URI base, String path) {
    String s = base.toString();
    return URI.create(s.endsWith("/") ? s + path : s + "/" + path);
  }

  /** The request body (a pure function, for tests). */
  public ObjectNode body(Prompt prompt) {
    ObjectNode body = Json.object();
    body.put("model", model);
    // Prompt#messages: the prompt text as one user message
    body.putArray("messages").addObject().put("role", "user").put("content", prompt.text());
    body.put("stream", true);
    body.putObject("stream_options").put("include_usage", true);
    body.put("temperature", settings.temperature());
    body.put("max_tokens", settings.maxTokens());
    if (settings.seed() != null) {
      body.put("seed", settings.seed());
    }
    if (!prompt.stop().isEmpty()) {
      var stop = body.putArray("stop");
      prompt.stop().stream().limit(4).forEach(stop::add); // OpenAI takes at most four
    }
    return body;
  }

  @Override
  public Response answer(Item item, Prompt prompt) {
    var builder =
        HttpRequest.newBuilder(completions)
            .timeout(timeout)
            .header("content-type", "application/json")
            .header("accept", "text/event-stream")
            .POST(HttpRequest.BodyPublishers.ofByteArray(Json.bytes(body(prompt))));
    if (key != null) {
      builder.header("authorization", "Bearer " + key);
    }
    HttpRequest request = builder.build();
    return Retries.run(() -> attempt(request));
  }

  private Retries.Attempt attempt(HttpRequest request) {
    long start = System.nanoTime();
    try {
      HttpResponse<Stream<String>> res = http.send(request, HttpResponse.BodyHandlers.ofLines());
      try (Stream<String> lines = res.body()) {
        if (res.statusCode() >= 400) {
          String text = String.join("\n", (Iterable<String>) lines::iterator);
          return new Retries.Attempt(
              failed("HTTP " + res.statusCode() + ": " + errorMessage(text), start, null),
              Retries.afterStatus(res));
        }
        String type = res.headers().firstValue("content-type").orElse("");
        if (!type.startsWith("text/event-stream")) {
          return Retries.Attempt.done(
              whole(String.join("\n", (Iterable<String>) lines::iterator), start));
        }
        return Retries.Attempt.done(stream(lines.iterator(), start));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Retries.Attempt.done(failed("interrupted", start, null));
    } catch (IOException e) {
      return new Retries.Attempt(
          failed("call failed: " + Retries.why(e), start, null), Retries.afterFailure(e));
    } catch (RuntimeException e) {
      return Retries.Attempt.done(failed("call failed: " + Retries.why(e), start, null));
    }
  }

  private Response stream(Iterator<String> lines, long start) {
    StringBuilder text = new StringBuilder();
    Long ttft = null;
    long in = 0;
    long out = 0;
    boolean done = false;
    while (lines.hasNext()) {
      String line = lines.next();
      if (!line.startsWith("data:")) {
        continue; // event:, id:, comments and the blank lines between events
      }
      String data = line.substring(5).strip();
      if (data.equals("[DONE]")) {
        done = true;
        break;
      }
      JsonNode chunk;
      try {
        chunk = Json.MAPPER.readTree(data);
      } catch (IOException e) {
        return failed("bad event in the stream: " + data, start, ttft);
      }
      if (chunk.has("error")) {
        return failed("error in the stream: " + errorMessage(data), start, ttft);
      }
      for (JsonNode choice : chunk.path("choices")) {
        String piece = choice.path("delta").path("content").asText("");
        if (!piece.isEmpty()) {
          if (ttft == null) {
            ttft = System.nanoTime() - start;
          }
          text.append(piece);
        }
      }
      JsonNode usage = chunk.path("usage");
      if (usage.isObject()) {
        in = usage.path("prompt_tokens").asLong(0);
        out = usage.path("completion_tokens").asLong(0);
      }
    }
    if (!done) {
      return failed("the stream ended before [DONE]", start, ttft);
    }
    return Response.of(text.toString(), measure(start, ttft, in, out));
  }

  private Response whole(String body, long start) {
    JsonNode json;
    try {
      json = Json.MAPPER.readTree(body);
    } catch (IOException e) {
      return failed("the answer is not JSON: " + abbreviate(body), start, null);
    }
    JsonNode usage = json.path("usage");
    String text = json.path("choices").path(0).path("message").path("content").asText("");
    return Response.of(
        text,
        measure(
            start,
            null,
            usage.path("prompt_tokens").asLong(0),
            usage.path("completion_tokens").asLong(0)));
  }

  private Measurement measure(long start, @Nullable Long ttft, long in, long out) {
    long latency = System.nanoTime() - start;
    return new Measurement(
        Duration.ofNanos(latency),
        ttft == null ? null : Duration.ofNanos(Math.min(ttft, latency)),
        in,
        out,
        price == null ? BigDecimal.ZERO : price.cost(in, out));
  }

  private Response failed(String error, long start, @Nullable Long ttft) {
    return Response.failed(error, measure(start, ttft, 0, 0));
  }

  /** The OpenAI error shape's message, or the body itself (shortened) when it has none. */
  static String errorMessage(String body) {
    try {
      JsonNode json = Json.MAPPER.readTree(body);
      JsonNode message = json.path("error").path("message");
      if (message.isTextual()) {
        return message.asText();
      }
      if (json.path("error").isTextual()) {
        return json.path("error").asText();
      }
    } catch (IOException | RuntimeException e) {
      // not JSON: the body itself
    }
    return abbreviate(body);
  }

  private static String abbreviate(String s) {
    String t = s.strip();
    return t.length() <= 300 ? t : t.substring(0, 300) + "...";
  }
}
