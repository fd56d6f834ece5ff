package dev.shelf.api;

import static dev.shelf.api.Fields.bool;
import static dev.shelf.api.Fields.integer;
import static dev.shelf.api.Fields.number;
import static dev.shelf.api.Fields.present;
import static dev.shelf.api.Fields.requireObject;
import static dev.shelf.api.Fields.requireString;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A legacy text completion request ({@code POST /v1/completions}). The prompt is kept as JSON (a
 * string, strings, token ids or lists of token ids); fields beyond the typed ones pass through.
 */
public record CompletionRequest(
    String model,
    JsonNode prompt,
    boolean stream,
    boolean includeUsage,
    @Nullable Integer maxTokens,
    @Nullable Double temperature,
    @Nullable Double topP,
    @Nullable Integer n,
    ObjectNode extra) {

  private static final Set<String> KNOWN =
      Set.of(
          "model", "prompt", "stream", "stream_options", "max_tokens", "temperature", "top_p", "n");

  public CompletionRequest withModel(String newModel) {
    return new CompletionRequest(
        newModel, prompt, stream, includeUsage, maxTokens, temperature, topP, n, extra);
  }

  public static CompletionRequest read(JsonNode body) {
    ObjectNode o = requireObject(body, "body");
    String model = requireString(o, "model", "model");
    JsonNode prompt = present(o, "prompt");
    if (prompt == null) {
      throw ApiException.invalid("prompt", "Missing required parameter: 'prompt'.");
    }
    if (!prompt.isTextual() && !prompt.isArray()) {
      throw Fields.typeError("prompt", "a string or an array", prompt);
    }
    boolean stream = Boolean.TRUE.equals(bool(o, "stream", "stream"));
    boolean includeUsage = false;
    JsonNode so = present(o, "stream_options");
    if (so != null) {
      if (!stream) {
        throw ApiException.invalid(
            "stream_options",
            "The 'stream_options' parameter is only allowed when 'stream' is enabled.");
      }
      includeUsage =
          Boolean.TRUE.equals(
              bool(
                  requireObject(so, "stream_options"),
                  "include_usage",
                  "stream_options.include_usage"));
    }
    ObjectNode extra = Fields.extras(o, KNOWN);
    return new CompletionRequest(
        model,
        prompt,
        stream,
        includeUsage,
        integer(o, "max_tokens", "max_tokens", 0, Integer.MAX_VALUE),
        number(o, "temperature", "temperature", 0, 2),
        number(o, "top_p", "top_p", 0, 1),
        integer(o, "n", "n", 1, 128),
        extra);
  }

  public ObjectNode write() {
    ObjectNode o = Json.object().put("model", model);
    o.set("prompt", prompt);
    if (stream) {
      o.put("stream", true);
      if (includeUsage) {
        o.putObject("stream_options").put("include_usage", true);
      }
    }
    if (maxTokens != null) {
      o.put("max_tokens", maxTokens);
    }
    if (temperature != null) {
      o.put("temperature", temperature);
    }
    if (topP != null) {
      o.put("top_p", topP);
    }
    if (n != null) {
      o.put("n", n);
    }
    o.setAll(extra);
    return o;
  }
}
