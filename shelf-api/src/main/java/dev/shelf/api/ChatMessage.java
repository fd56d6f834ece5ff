package dev.shelf.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * One message of a conversation, request or response side. Content is either plain {@link #text} or
 * a list of {@link #parts}, never both; an assistant message that only calls tools has neither.
 *
 * @param role system, developer, user, assistant or tool (function is accepted as legacy)
 * @param reasoning reasoning ("thinking") text some models return beside the answer
 * @param extra fields Shelf does not know, kept for pass-through
 */
public record ChatMessage(
    String role,
    @Nullable String text,
    @Nullable List<ContentPart> parts,
    @Nullable String name,
    @Nullable List<ToolCall> toolCalls,
    @Nullable String toolCallId,
    @Nullable String reasoning,
    @Nullable String refusal,
    @Nullable ObjectNode extra) {

  public ChatMessage {
    parts = parts == null ? null : List.copyOf(parts);
    toolCalls = toolCalls == null ? null : List.copyOf(toolCalls);
  }

  public static ChatMessage of(String role, String text) {
    return new ChatMessage(role, text, null, null, null, null, null, null, null);
  }

  /** All text content, parts joined, for token estimates and simple providers. */
  public String textContent() {
    if (text != null) {
      return text;
    }
    if (parts == null) {
      return "";
    }
    var sb = new StringBuilder();
    for (var part : parts) {
      if (part instanceof ContentPart.Text t) {
        sb.append(t.text());
      }
    }
    return sb.toString();
  }

  /** A call the assistant made; {@code arguments} is the JSON text the model produced. */
  public record ToolCall(String id, String name, String arguments) {}

  /** A piece of multi-part content. Unknown part types are kept raw and passed through. */
  public sealed interface ContentPart {
    /** {@code extra} keeps fields Shelf does not know (e.g. {@code cache_control}). */
    record Text(String text, @Nullable ObjectNode extra) implements ContentPart {
      public Text(String text) {
        this(text, null);
      }
    }

    /** {@code url} is an http(s) URL or a {@code data:} URL with base64 bytes. */
    record Image(String url, @Nullable String detail, @Nullable ObjectNode extra)
        implements ContentPart {
      public Image(String url, @Nullable String detail) {
        this(url, detail, null);
      }
    }

    record Other(ObjectNode raw) implements ContentPart {}
  }
}
