package dev.shelf.guard.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.shelf.api.ChatMessage;
import dev.shelf.api.ChatRequest;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * The texts of a request that policies read, in order, and the request rebuilt with changed texts.
 * A chat request's texts are each message's text or text parts (system, user, assistant and tool
 * results alike); a completion prompt or an embedding input is a string or a list of strings
 * (token-id arrays carry no text and are left alone).
 */
public final class RequestTexts {
  private RequestTexts() {}

  public static List<String> of(ChatRequest r) {
    var out = new ArrayList<String>();
    for (ChatMessage m : r.messages()) {
      if (m.text() != null) {
        out.add(m.text());
      } else if (m.parts() != null) {
        for (var p : m.parts()) {
          if (p instanceof ChatMessage.ContentPart.Text t) {
            out.add(t.text());
          }
        }
      }
    }
    return out;
  }

  /** {@code r} with its texts replaced, in the order {@link #of(ChatRequest)} gave them. */
  public static ChatRequest with(ChatRequest r, List<String> texts) {
    Iterator<String> it = texts.iterator();
    var messages = new ArrayList<ChatMessage>(r.messages().size());
    for (ChatMessage m : r.messages()) {
      if (m.text() != null) {
        messages.add(
            new ChatMessage(
                m.role(),
                it.next(),
                null,
                m.name(),
                m.toolCalls(),
                m.toolCallId(),
                m.reasoning(),
                m.refusal(),
                m.extra()));
      } else if (m.parts() != null) {
        var parts = new ArrayList<ChatMessage.ContentPart>(m.parts().size());
        for (var p : m.parts()) {
          parts.add(
              p instanceof ChatMessage.ContentPart.Text t
                  ? new ChatMessage.ContentPart.Text(it.next(), t.extra())
                  : p);
        }
        messages.add(
            new ChatMessage(
                m.role(),
                null,
                parts,
                m.name(),
                m.toolCalls(),
                m.toolCallId(),
                m.reasoning(),
                m.refusal(),
                m.extra()));
      } else {
        messages.add(m);
      }
    }
    return new ChatRequest(
        r.model(),
        messages,
        r.stream(),
        r.includeUsage(),
        r.tools(),
        r.toolChoice(),
        r.parallelToolCalls(),
        r.responseFormat(),
        r.stop(),
        r.maxTokens(),
        r.maxCompletionTokens(),
        r.temperature(),
        r.topP(),
        r.seed(),
        r.n(),
        r.logprobs(),
        r.topLogprobs(),
        r.presencePenalty(),
        r.frequencyPenalty(),
        r.user(),
        r.extra());
  }

  /** The strings of a prompt or input: one string, or the strings of a list. */
  public static List<String> of(JsonNode node) {
    if (node.isTextual()) {
      return List.of(node.asText());
    }
    var out = new ArrayList<String>();
    if (node.isArray()) {
      for (JsonNode n : node) {
        if (n.isTextual()) {
          out.add(n.asText());
        }
      }
    }
    return out;
  }

  /** {@code node} with its strings replaced, in the order {@link #of(JsonNode)} gave them. */
  public static JsonNode with(JsonNode node, List<String> texts) {
    if (node.isTextual()) {
      return TextNode.valueOf(texts.getFirst());
    }
    if (!node.isArray()) {
      return node;
    }
    Iterator<String> it = texts.iterator();
    ArrayNode out = JsonNodeFactory.instance.arrayNode(node.size());
    for (JsonNode n : node) {
      out.add(n.isTextual() ? TextNode.valueOf(it.next()) : n);
    }
    return out;
  }
}
