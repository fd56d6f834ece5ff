package dev.shelf.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A chat completion request in Shelf's canonical form. Fields Shelf understands are typed; every
 * other field the client sent is kept in {@link #extra} and passed through to the provider
 * untouched.
 *
 * @param toolChoice "none", "auto", "required" or {"type":"function","function":{"name":...}}
 * @param stop at most four stop sequences (a single string is normalised to a list of one)
 */
public record ChatRequest(
    String model,
    List<ChatMessage> messages,
    boolean stream,
    boolean includeUsage,
    @Nullable List<Tool> tools,
    @Nullable JsonNode toolChoice,
    @Nullable Boolean parallelToolCalls,
    @Nullable ResponseFormat responseFormat,
    @Nullable List<String> stop,
    @Nullable Integer maxTokens,
    @Nullable Integer maxCompletionTokens,
    @Nullable Double temperature,
    @Nullable Double topP,
    @Nullable Long seed,
    @Nullable Integer n,
    @Nullable Boolean logprobs,
    @Nullable Integer topLogprobs,
    @Nullable Double presencePenalty,
    @Nullable Double frequencyPenalty,
    @Nullable String user,
    ObjectNode extra) {

  public ChatRequest {
    messages = List.copyOf(messages);
    tools = tools == null ? null : List.copyOf(tools);
    stop = stop == null ? null : List.copyOf(stop);
  }

  /** The output limit the client asked for, whichever field it used. */
  public @Nullable Integer outputLimit() {
    return maxCompletionTokens != null ? maxCompletionTokens : maxTokens;
  }

  public int choices() {
    return n == null ? 1 : n;
  }

  public ChatRequest withModel(String newModel) {
    return new ChatRequest(
        newModel,
        messages,
        stream,
        includeUsage,
        tools,
        toolChoice,
        parallelToolCalls,
        responseFormat,
        stop,
        maxTokens,
        maxCompletionTokens,
        temperature,
        topP,
        seed,
        n,
        logprobs,
        topLogprobs,
        presencePenalty,
        frequencyPenalty,
        user,
        extra);
  }

  /** A tool the model may call. Only function tools exist in the chat API. */
  public record Tool(
      String name,
      @Nullable String description,
      @Nullable JsonNode parameters,
      @Nullable Boolean strict,
      @Nullable ObjectNode extra) {
    public Tool(
        String name,
        @Nullable String description,
        @Nullable JsonNode parameters,
        @Nullable Boolean strict) {
      this(name, description, parameters, strict, null);
    }
  }

  /**
   * {@code type} is text, json_object or json_schema; for json_schema, {@code name}, {@code schema}
   * and {@code strict} describe it.
   */
  public record ResponseFormat(
      String type,
      @Nullable String name,
      @Nullable JsonNode schema,
      @Nullable Boolean strict,
      @Nullable String description) {}
}
