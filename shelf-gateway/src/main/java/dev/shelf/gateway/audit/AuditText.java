package dev.shelf.gateway.audit;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shelf.api.ChatMessage;
import dev.shelf.api.ChatRequest;
import dev.shelf.api.CompletionRequest;
import dev.shelf.api.EmbeddingRequest;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Requests flattened to the text the audit keeps: what the user sent, readable, one message after
 * another as {@code [role] text}. Lossy on purpose: images are {@code [image]}, tool calls {@code
 * [tool_call name] arguments}, token-id prompts {@code [tokens]}; tool definitions, sampling
 * parameters and unknown fields are not content and are left out.
 */
public final class AuditText {
  private AuditText() {}

  public static String chat(ChatRequest r) {
    var sb = new StringBuilder();
    for (ChatMessage m : r.messages()) {
      if (!sb.isEmpty()) {
        sb.append('\n');
      }
      sb.append('[').append(m.role()).append("] ");
      if (m.text() != null) {
        sb.append(m.text());
      } else if (m.parts() != null) {
        for (ChatMessage.ContentPart p : m.parts()) {
          switch (p) {
            case ChatMessage.ContentPart.Text t -> sb.append(t.text());
            case ChatMessage.ContentPart.Image i -> sb.append("[image]");
            case ChatMessage.ContentPart.Other o -> sb.append("[other]");
          }
        }
      }
      if (m.toolCalls() != null) {
        for (ChatMessage.ToolCall c : m.toolCalls()) {
          sb.append("[tool_call ").append(c.name()).append("] ").append(c.arguments());
        }
      }
    }
    return sb.toString();
  }

  public static String completion(CompletionRequest r) {
    return inputs(r.prompt());
  }

  public static String embedding(EmbeddingRequest r) {
    return inputs(r.input());
  }

  /** A string, or an array of strings (one per line) and token-id arrays. */
  private static String inputs(JsonNode v) {
    if (v.isTextual()) {
      return v.textValue();
    }
    if (!v.isArray()) {
      return "[tokens]";
    }
    if (!v.isEmpty() && v.get(0).isIntegralNumber()) {
      return "[tokens]"; // one prompt as token ids
    }
    var sb = new StringBuilder();
    for (JsonNode e : v) {
      if (!sb.isEmpty()) {
        sb.append('\n');
      }
      sb.append(e.isTextual() ? e.textValue() : "[tokens]");
    }
    return sb.toString();
  }

  /** Lowercase hex SHA-256 of the text's UTF-8 bytes. */
  public static String sha256(String text) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
