package dev.shelf.api;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import dev.shelf.api.ChatChunk.Choice;
import dev.shelf.api.ChatChunk.Delta;
import dev.shelf.api.ChatChunk.ToolCallDelta;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Reads upstream chat chunks with a streaming parser, straight from the bytes of an SSE event: the
 * hot path of every streamed answer builds no JSON tree. Lenient as upstreams require: missing
 * fields take defaults, unknown fields are skipped, scalars of the wrong type are read as text,
 * {@code message} stands in for {@code delta}, an empty {@code finish_reason} (Baichuan) means
 * none, usage inside a choice (Moonshot) counts as the chunk's usage.
 */
final class ChunkReader {
  private ChunkReader() {}

  /**
   * Reads a chunk; returns null when the object has a top-level {@code error} or {@code base_resp}
   * field, which the caller must inspect as an error report instead.
   */
  static @Nullable ChatChunk read(JsonParser p, String reasoningField) throws IOException {
    if (p.nextToken() != JsonToken.START_OBJECT) {
      throw ApiException.invalid(null, "a chunk must be a JSON object");
    }
    String id = "";
    long created = 0;
    String model = "";
    String fingerprint = null;
    var choices = new ArrayList<Choice>(1);
    Usage usage = null;
    Usage choiceUsage = null;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String field = p.currentName();
      JsonToken t = p.nextToken();
      switch (field) {
        case "id" -> id = orEmpty(text(p, t));
        case "created" -> created = t.isNumeric() ? p.getLongValue() : p.getValueAsLong(0);
        case "model" -> model = orEmpty(text(p, t));
        case "system_fingerprint" -> fingerprint = text(p, t);
        case "usage" -> usage = usage(p, t);
        case "error", "base_resp" -> {
          return null;
        }
        case "choices" -> {
          if (t == JsonToken.START_ARRAY) {
            while (p.nextToken() != JsonToken.END_ARRAY) {
              var c = new ChoiceState();
              c.read(p, reasoningField);
              choices.add(c.toChoice());
              if (choiceUsage == null) {
                choiceUsage = c.usage;
              }
            }
          } else {
            p.skipChildren();
          }
        }
        default -> p.skipChildren();
      }
    }
    return new ChatChunk(
        id, created, model, fingerprint, choices, usage != null ? usage : choiceUsage);
  }

  /** Reads a delta (or a whole message) object; the parser is on its START_OBJECT or a scalar. */
  static Delta delta(JsonParser p, JsonToken t, String reasoningField) throws IOException {
    if (t != JsonToken.START_OBJECT) {
      p.skipChildren();
      return Delta.EMPTY;
    }
    String role = null;
    String content = null;
    String preferred = null;
    String other = null;
    String refusal = null;
    List<ToolCallDelta> calls = null;
    String otherField = reasoningField.equals("reasoning") ? "reasoning_content" : "reasoning";
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String field = p.currentName();
      JsonToken v = p.nextToken();
      if (field.equals(reasoningField)) {
        preferred = text(p, v);
      } else if (field.equals(otherField)) {
        other = text(p, v);
      } else {
        switch (field) {
          case "role" -> role = text(p, v);
          case "content" -> content = text(p, v);
          case "refusal" -> refusal = text(p, v);
          case "tool_calls" -> calls = toolCalls(p, v);
          default -> p.skipChildren();
        }
      }
    }
    return new Delta(role, content, preferred != null ? preferred : other, calls, refusal);
  }

  private static @Nullable List<ToolCallDelta> toolCalls(JsonParser p, JsonToken t)
      throws IOException {
    if (t != JsonToken.START_ARRAY) {
      p.skipChildren();
      return null;
    }
    var calls = new ArrayList<ToolCallDelta>(1);
    int position = 0;
    while (p.nextToken() == JsonToken.START_OBJECT) {
      Integer index = null;
      String id = null;
      String name = null;
      String arguments = null;
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken v = p.nextToken();
        switch (field) {
          case "index" -> index = v.isNumeric() ? p.getIntValue() : p.getValueAsInt(position);
          case "id" -> id = text(p, v);
          case "function" -> {
            if (v != JsonToken.START_OBJECT) {
              p.skipChildren();
              continue;
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
              String ff = p.currentName();
              JsonToken fv = p.nextToken();
              if (ff.equals("name")) {
                name = text(p, fv);
              } else if (ff.equals("arguments")) {
                // Some servers send arguments as a JSON object rather than its text.
                arguments =
                    fv == JsonToken.START_OBJECT || fv == JsonToken.START_ARRAY
                        ? Json.string(p.readValueAsTree())
                        : text(p, fv);
              } else {
                p.skipChildren();
              }
            }
          }
          default -> p.skipChildren();
        }
      }
      calls.add(new ToolCallDelta(index != null ? index : position, id, name, arguments));
      position++;
    }
    return calls;
  }

  private static @Nullable Usage usage(JsonParser p, JsonToken t) throws IOException {
    if (t != JsonToken.START_OBJECT) {
      p.skipChildren();
      return null;
    }
    return ChatChunkCodec.readUsage(p.readValueAsTree());
  }

  /** A scalar as text (numbers and booleans too); null for null, objects and arrays. */
  static @Nullable String text(JsonParser p, JsonToken t) throws IOException {
    if (t == JsonToken.VALUE_NULL) {
      return null;
    }
    if (t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY) {
      p.skipChildren();
      return "";
    }
    return p.getText();
  }

  /**
   * Vendors' finish reasons in OpenAI's vocabulary (strict clients reject others). Lossy where a
   * vendor says more than OpenAI can: Zhipu's {@code sensitive} becomes {@code content_filter}; an
   * unknown reason becomes {@code stop}. {@code network_error} (Zhipu) is kept for the adapter to
   * turn into a failure. Empty (Baichuan) means none.
   */
  static @Nullable String finishReason(@Nullable String raw) {
    if (raw == null || raw.isEmpty()) {
      return null;
    }
    return switch (raw) {
      case "stop", "length", "tool_calls", "content_filter", "function_call", "network_error" ->
          raw;
      case "sensitive", "safety", "content_filtered" -> "content_filter";
      case "max_tokens", "max_output_tokens" -> "length";
      case "tool_use" -> "tool_calls";
      default -> "stop";
    };
  }

  private static String orEmpty(@Nullable String s) {
    return s == null ? "" : s;
  }

  /** One choice being read. */
  private static final class ChoiceState {
    int index;
    Delta delta = Delta.EMPTY;
    boolean sawDelta;
    @Nullable String finish;
    @Nullable JsonNode logprobs;
    @Nullable Usage usage;

    void read(JsonParser p, String reasoningField) throws IOException {
      if (p.currentToken() != JsonToken.START_OBJECT) {
        p.skipChildren();
        return;
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken t = p.nextToken();
        switch (field) {
          case "index" -> index = t.isNumeric() ? p.getIntValue() : p.getValueAsInt(0);
          case "delta" -> {
            if (t == JsonToken.VALUE_NULL) {
              continue;
            }
            delta = delta(p, t, reasoningField);
            sawDelta = true;
          }
          case "message" -> {
            Delta m = delta(p, t, reasoningField);
            if (!sawDelta) {
              delta = m; // some servers send whole messages in the final chunk
            }
          }
          case "finish_reason" -> finish = text(p, t);
          case "logprobs" -> {
            JsonNode n = p.readValueAsTree();
            logprobs = n == null || n.isNull() ? null : n;
          }
          case "usage" -> usage = usage(p, t);
          default -> p.skipChildren();
        }
      }
    }

    Choice toChoice() {
      return new Choice(index, delta, finishReason(finish), logprobs);
    }
  }
}
