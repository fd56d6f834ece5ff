package dev.shelf.server.anthropic;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.shelf.api.ApiException;
import dev.shelf.api.ChatCompletion;
import dev.shelf.api.ChatMessage;
import dev.shelf.api.Json;
import dev.shelf.api.Usage;
import java.io.IOException;
import org.jspecify.annotations.Nullable;

/**
 * Canonical answers and errors written as Anthropic Messages JSON.
 *
 * <p>Lossy: OpenAI's {@code stop} covers both Anthropic's {@code end_turn} and {@code
 * stop_sequence}, so a stop sequence is reported as {@code end_turn} with {@code stop_sequence:
 * null}; only the first choice is returned (Messages has no {@code n}).
 */
public final class MessagesOut {
  private MessagesOut() {}

  public static String stopReason(@Nullable String finish) {
    if (finish == null) {
      return "end_turn";
    }
    return switch (finish) {
      case "length" -> "max_tokens";
      case "tool_calls", "function_call" -> "tool_use";
      case "content_filter" -> "refusal";
      default -> "end_turn";
    };
  }

  public static byte[] message(ChatCompletion c, String id, String model, Usage usage) {
    return Json.write(
        g -> {
          g.writeStartObject();
          g.writeStringField("id", id);
          g.writeStringField("type", "message");
          g.writeStringField("role", "assistant");
          g.writeStringField("model", model);
          g.writeArrayFieldStart("content");
          ChatCompletion.Choice first = c.choices().isEmpty() ? null : c.choices().getFirst();
          if (first != null) {
            ChatMessage m = first.message();
            if (m.reasoning() != null && !m.reasoning().isEmpty()) {
              g.writeStartObject();
              g.writeStringField("type", "thinking");
              g.writeStringField("thinking", m.reasoning());
              g.writeStringField("signature", ""); // no vendor signature to carry over
              g.writeEndObject();
            }
            String text = m.text();
            if (text != null && (!text.isEmpty() || m.toolCalls() == null)) {
              g.writeStartObject();
              g.writeStringField("type", "text");
              g.writeStringField("text", text);
              g.writeEndObject();
            }
            if (m.toolCalls() != null) {
              for (ChatMessage.ToolCall t : m.toolCalls()) {
                g.writeStartObject();
                g.writeStringField("type", "tool_use");
                g.writeStringField("id", t.id());
                g.writeStringField("name", t.name());
                g.writeFieldName("input");
                writeInput(g, t.arguments());
                g.writeEndObject();
              }
            }
          }
          g.writeEndArray();
          g.writeStringField(
              "stop_reason", stopReason(first == null ? null : first.finishReason()));
          g.writeNullField("stop_sequence");
          writeUsage(g, usage);
          g.writeEndObject();
        });
  }

  /** Tool arguments as a JSON object; arguments that are not a JSON object are wrapped. */
  static void writeInput(JsonGenerator g, String arguments) throws IOException {
    try {
      var node = Json.MAPPER.readTree(arguments.isBlank() ? "{}" : arguments);
      if (node != null && node.isObject()) {
        Json.MAPPER.writeTree(g, node);
        return;
      }
    } catch (IOException ignored) {
      // fall through: the model wrote something that is not JSON
    }
    g.writeStartObject();
    g.writeStringField("_raw", arguments); // lossy: Messages requires an object here
    g.writeEndObject();
  }

  static void writeUsage(JsonGenerator g, Usage u) throws IOException {
    g.writeObjectFieldStart("usage");
    int cached = u.cachedTokens() == null ? 0 : u.cachedTokens();
    g.writeNumberField("input_tokens", Math.max(0, u.promptTokens() - cached));
    g.writeNumberField("cache_read_input_tokens", cached);
    g.writeNumberField("cache_creation_input_tokens", 0);
    g.writeNumberField("output_tokens", u.completionTokens());
    g.writeEndObject();
  }

  /** Anthropic's error type for an HTTP status. */
  public static String errorType(int status) {
    return switch (status) {
      case 400, 422 -> "invalid_request_error";
      case 401 -> "authentication_error";
      case 403 -> "permission_error";
      case 404 -> "not_found_error";
      case 413 -> "request_too_large";
      case 429 -> "rate_limit_error";
      case 503, 529 -> "overloaded_error";
      default -> "api_error";
    };
  }

  public static byte[] error(ApiException e) {
    return Json.write(
        g -> {
          g.writeStartObject();
          g.writeStringField("type", "error");
          g.writeObjectFieldStart("error");
          g.writeStringField("type", errorType(e.status()));
          g.writeStringField("message", e.getMessage());
          g.writeEndObject();
          g.writeEndObject();
        });
  }
}
