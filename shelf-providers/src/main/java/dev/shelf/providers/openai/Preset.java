package dev.shelf.providers.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.shelf.providers.spi.ProviderException;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What one OpenAI-compatible vendor accepts and how it differs, read from {@code presets.yaml}.
 * {@link #adapt(ObjectNode)} turns a canonical OpenAI request body into what that vendor takes;
 * every rewrite is one named field here and one named test against a stub.
 */
public record Preset(
    String key,
    String name,
    String baseUrl,
    Auth auth,
    @Nullable String authHeader,
    @Nullable String apiKeyEnv,
    boolean keyRequired,
    @Nullable String docs,
    MaxTokensField maxTokensField,
    StreamUsage streamUsage,
    String reasoningField,
    List<String> dropParams,
    @Nullable Integer maxN,
    @Nullable Range temperature,
    @Nullable Range topP,
    boolean jsonSchema,
    boolean toolChoiceRequired,
    boolean parallelToolCallsParam,
    boolean errorInBody,
    @Nullable String notes) {

  public Preset {
    dropParams = List.copyOf(dropParams);
  }

  public enum Auth {
    BEARER,
    HEADER,
    NONE
  }

  /** Which field carries the output limit upstream. */
  public enum MaxTokensField {
    MAX_TOKENS,
    MAX_COMPLETION_TOKENS,
    KEEP
  }

  /** How the vendor reports usage in a stream. */
  public enum StreamUsage {
    INCLUDE_USAGE,
    ALWAYS,
    NONE
  }

  public record Range(double min, double max) {}

  /** A generic OpenAI-compatible endpoint: no quirks assumed. */
  public static Preset generic(String baseUrl) {
    return new Preset(
        "openai-compatible",
        "OpenAI-compatible",
        baseUrl,
        Auth.BEARER,
        null,
        null,
        false,
        null,
        MaxTokensField.KEEP,
        StreamUsage.INCLUDE_USAGE,
        "reasoning_content",
        List.of(),
        null,
        null,
        null,
        true,
        true,
        true,
        false,
        null);
  }

  public Preset withBaseUrl(String url) {
    return new Preset(
        key,
        name,
        url,
        auth,
        authHeader,
        apiKeyEnv,
        keyRequired,
        docs,
        maxTokensField,
        streamUsage,
        reasoningField,
        dropParams,
        maxN,
        temperature,
        topP,
        jsonSchema,
        toolChoiceRequired,
        parallelToolCallsParam,
        errorInBody,
        notes);
  }

  /** Rewrites a chat request body (already OpenAI JSON, streaming) for this vendor. */
  public ObjectNode adapt(ObjectNode body) {
    body.put("stream", true);
    switch (streamUsage) {
      case INCLUDE_USAGE -> body.putObject("stream_options").put("include_usage", true);
      case ALWAYS, NONE -> body.remove("stream_options");
    }
    switch (maxTokensField) {
      case MAX_TOKENS -> rename(body, "max_completion_tokens", "max_tokens");
      case MAX_COMPLETION_TOKENS -> rename(body, "max_tokens", "max_completion_tokens");
      case KEEP -> {}
    }
    for (String p : dropParams) {
      body.remove(p);
    }
    JsonNode n = body.get("n");
    if (maxN != null && n != null && n.asInt(1) > maxN) {
      throw new ProviderException(
          ProviderException.Kind.BAD_REQUEST,
          "Invalid 'n': " + name + " supports at most n=" + maxN + ".",
          "unsupported_value",
          "n",
          0,
          null,
          null);
    }
    clamp(body, "temperature", temperature);
    clamp(body, "top_p", topP);
    JsonNode rf = body.get("response_format");
    if (!jsonSchema && rf != null && "json_schema".equals(rf.path("type").asText())) {
      // Lossy: the vendor has no schema-constrained decoding; JSON mode is the nearest it has.
      body.putObject("response_format").put("type", "json_object");
    }
    if (!toolChoiceRequired && "required".equals(body.path("tool_choice").asText(null))) {
      body.set("tool_choice", TextNode.valueOf("auto")); // Lossy: the model may answer in text.
    }
    if (!parallelToolCallsParam) {
      body.remove("parallel_tool_calls");
    }
    return body;
  }

  /**
   * Moves the output limit to the field the vendor reads. When the client sent both, {@code
   * max_completion_tokens} wins, as it does in {@code ChatRequest.outputLimit()}.
   */
  private static void rename(ObjectNode body, String from, String to) {
    JsonNode v = body.remove(from);
    if (v != null && (!body.has(to) || from.equals("max_completion_tokens"))) {
      body.set(to, v);
    }
  }

  private static void clamp(ObjectNode body, String field, @Nullable Range range) {
    JsonNode v = body.get(field);
    if (range != null && v != null && v.isNumber()) {
      body.put(field, Math.max(range.min(), Math.min(range.max(), v.doubleValue())));
    }
  }
}
