package dev.shelf.server;

import com.openai.client.OpenAIClient;
import com.openai.core.JsonValue;
import com.openai.errors.SseException;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.CompletionUsage;
import dev.shelf.providers.openai.Preset;
import dev.shelf.providers.openai.Presets;
import dev.shelf.server.stub.StubUpstream;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A Shelf with one provider per preset of the {@code openai} adapter, every one pointed at the same
 * stub upstream with {@code base_url}: provider {@code p-KEY}, public model {@code m-KEY}, upstream
 * model {@code up-KEY}. Presets that need a key get {@code sk-KEY-secret-0001}; local servers get
 * none (they need none).
 */
final class PresetShelf implements AutoCloseable {
  final StubUpstream stub = StubUpstream.start();
  final ShelfHarness shelf;
  final OpenAIClient client;

  PresetShelf() {
    var yaml =
        new StringBuilder(
            """
            server: {port: 0, shutdown_grace: 1s, access_log: false}
            resilience: {max_attempts: 1, breaker_failures: 1000, cooldown: 1ms}
            providers:
            """);
    for (String key : keys()) {
      yaml.append("  p-")
          .append(key)
          .append(": {preset: ")
          .append(key)
          .append(", base_url: ")
          .append(stub.baseUrl());
      if (preset(key).keyRequired()) {
        yaml.append(", api_key: ").append(apiKey(key));
      }
      yaml.append("}\n");
    }
    yaml.append("models:\n");
    for (String key : keys()) {
      yaml.append("  - {id: m-")
          .append(key)
          .append(", provider: p-")
          .append(key)
          .append(", upstream: up-")
          .append(key)
          .append("}\n");
    }
    shelf = ShelfHarness.start(yaml.toString());
    client = shelf.sdk("unused-no-key-configured");
  }

  /** Every preset, sorted: the parameter source of the run-through tests. */
  static List<String> keys() {
    return Presets.all().keySet().stream().sorted().toList();
  }

  static Preset preset(String key) {
    Preset p = Presets.get(key);
    if (p == null) {
      throw new AssertionError("no preset " + key);
    }
    return p;
  }

  static String apiKey(String key) {
    return "sk-" + key + "-secret-0001";
  }

  static ChatCompletionCreateParams.Builder ask(String preset, String text) {
    return ChatCompletionCreateParams.builder().model("m-" + preset).addUserMessage(text);
  }

  /** What a streaming client collected: content, reasoning, finish reasons, usage, the error. */
  record Streamed(
      List<ChatCompletionChunk> chunks,
      String content,
      String reasoning,
      List<String> finishReasons,
      @Nullable CompletionUsage usage,
      @Nullable SseException error) {
    CompletionUsage requireUsage() {
      if (usage == null) {
        throw new AssertionError("the stream carried no usage: " + chunks);
      }
      return usage;
    }

    SseException requireError() {
      if (error == null) {
        throw new AssertionError("the stream ended without an error event: " + chunks);
      }
      return error;
    }
  }

  /** Streams with include_usage and collects everything, an error event included. */
  Streamed stream(ChatCompletionCreateParams.Builder params) {
    var chunks = new ArrayList<ChatCompletionChunk>();
    var content = new StringBuilder();
    var reasoning = new StringBuilder();
    var finishes = new ArrayList<String>();
    CompletionUsage usage = null;
    SseException error = null;
    try (var s =
        client
            .chat()
            .completions()
            .createStreaming(
                params
                    .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build())
                    .build())) {
      for (var it = s.stream().iterator(); it.hasNext(); ) {
        ChatCompletionChunk c = it.next();
        chunks.add(c);
        if (c.usage().isPresent()) {
          usage = c.usage().get();
        }
        for (var ch : c.choices()) {
          ch.delta().content().ifPresent(content::append);
          JsonValue r = ch.delta()._additionalProperties().get("reasoning_content");
          if (r != null) {
            reasoning.append(r.asStringOrThrow());
          }
          ch.finishReason().ifPresent(f -> finishes.add(f.asString()));
        }
      }
    } catch (SseException e) {
      error = e;
    }
    return new Streamed(chunks, content.toString(), reasoning.toString(), finishes, usage, error);
  }

  @Override
  public void close() {
    shelf.close();
    stub.close();
  }
}
