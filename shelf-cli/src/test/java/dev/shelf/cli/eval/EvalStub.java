package dev.shelf.cli.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.shelf.api.Json;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;

/**
 * A loopback OpenAI-compatible endpoint for evaluation runs: {@code POST /v1/chat/completions}
 * streams the scripted answer as SSE in two content chunks, then a finish chunk, then a usage chunk
 * ({@code prompt_tokens} = the prompt's length in chars, {@code completion_tokens} = the answer's),
 * then {@code [DONE]}, as OpenAI does with {@code stream_options.include_usage}. Models named
 * {@code broken*} answer 429 in OpenAI's error shape. {@code GET /v1/models} lists every model with
 * a price of 1 (input) and 2 (output) USD per million tokens. Every chat request is counted by
 * model and prompt, and its body kept.
 */
final class EvalStub implements AutoCloseable {
  private final HttpServer server;
  private final BiFunction<String, String, String> script;
  private final long delayMillis;
  private final Map<String, AtomicInteger> asked = new ConcurrentHashMap<>();
  final List<JsonNode> bodies = new CopyOnWriteArrayList<>();
  final AtomicInteger requests = new AtomicInteger();

  EvalStub(BiFunction<String, String, String> script, long delayMillis) throws IOException {
    this.script = script;
    this.delayMillis = delayMillis;
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    server.createContext("/v1/chat/completions", this::chat);
    server.createContext("/v1/models", this::models);
    server.start();
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
  }

  /** How many times {@code model} was asked {@code prompt}. */
  int asked(String model, String prompt) {
    AtomicInteger n = asked.get(model + "\n" + prompt);
    return n == null ? 0 : n.get();
  }

  private void models(HttpExchange ex) throws IOException {
    var data = Json.object();
    var list = data.putArray("data");
    for (String m : List.of("half", "always-b", "broken")) {
      var p = list.addObject().put("id", m).put("object", "model").putObject("pricing");
      p.put("input", 1.0).put("output", 2.0).put("currency", "USD");
    }
    send(ex, 200, "application/json", Json.string(data));
  }

  private void chat(HttpExchange ex) throws IOException {
    try (ex) {
      JsonNode body = Json.MAPPER.readTree(ex.getRequestBody().readAllBytes());
      bodies.add(body);
      requests.incrementAndGet();
      String model = body.path("model").asText();
      String prompt = body.path("messages").path(0).path("content").asText();
      asked.computeIfAbsent(model + "\n" + prompt, k -> new AtomicInteger()).incrementAndGet();
      if (delayMillis > 0) {
        Thread.sleep(delayMillis);
      }
      if (model.startsWith("broken")) {
        send(
            ex,
            429,
            "application/json",
            "{\"error\":{\"message\":\"Rate limit reached for "
                + model
                + "\",\"type\":\"rate_limit_error\",\"param\":null,\"code\":\"rate_limited\"}}");
        return;
      }
      String answer = script.apply(model, prompt);
      ex.getResponseHeaders().set("content-type", "text/event-stream");
      ex.sendResponseHeaders(200, 0);
      OutputStream out = ex.getResponseBody();
      int cut = answer.length() / 2;
      event(out, chunk(model, "{\"role\":\"assistant\",\"content\":\"\"}", "null"));
      for (String piece : new String[] {answer.substring(0, cut), answer.substring(cut)}) {
        event(
            out,
            chunk(model, "{\"content\":" + Json.MAPPER.writeValueAsString(piece) + "}", "null"));
      }
      event(out, chunk(model, "{}", "\"stop\""));
      event(
          out,
          "{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"model\":\""
              + model
              + "\",\"choices\":[],\"usage\":{\"prompt_tokens\":"
              + prompt.length()
              + ",\"completion_tokens\":"
              + answer.length()
              + ",\"total_tokens\":"
              + (prompt.length() + answer.length())
              + "}}");
      out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
      out.flush();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static String chunk(String model, String delta, String finish) {
    return "{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"model\":\""
        + model
        + "\",\"choices\":[{\"index\":0,\"delta\":"
        + delta
        + ",\"finish_reason\":"
        + finish
        + "}]}";
  }

  private static void event(OutputStream out, String json) throws IOException {
    out.write(("data: " + json + "\n\n").getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  private static void send(HttpExchange ex, int status, String type, String body)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("content-type", type);
    ex.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
