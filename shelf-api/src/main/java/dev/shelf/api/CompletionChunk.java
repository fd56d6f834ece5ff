package dev.shelf.api;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * One streamed piece of a legacy text completion; the non-streaming {@code text_completion} has the
 * same shape with whole texts, so one record serves both.
 */
public record CompletionChunk(
    String id, long created, String model, List<Choice> choices, @Nullable Usage usage) {

  public CompletionChunk {
    choices = List.copyOf(choices);
  }

  public record Choice(
      int index, String text, @Nullable String finishReason, @Nullable JsonNode logprobs) {}

  public CompletionChunk withId(String newId, String newModel) {
    return new CompletionChunk(newId, created, newModel, choices, usage);
  }

  public static CompletionChunk read(JsonNode node) {
    ObjectNode o = Fields.requireObject(node, "chunk");
    var choices = new ArrayList<Choice>();
    for (JsonNode c : o.path("choices")) {
      JsonNode lp = c.get("logprobs");
      choices.add(
          new Choice(
              c.path("index").asInt(0),
              c.path("text").asText(""),
              ChatChunkCodec.text(c.get("finish_reason")),
              lp == null || lp.isNull() ? null : lp));
    }
    return new CompletionChunk(
        o.path("id").asText(""),
        o.path("created").asLong(0),
        o.path("model").asText(""),
        choices,
        ChatChunkCodec.readUsage(o.get("usage")));
  }

  public byte[] write() {
    return Json.write(this::write);
  }

  public void write(JsonGenerator g) throws IOException {
    g.writeStartObject();
    g.writeStringField("id", id);
    g.writeStringField("object", "text_completion");
    g.writeNumberField("created", created);
    g.writeStringField("model", model);
    g.writeArrayFieldStart("choices");
    for (Choice c : choices) {
      g.writeStartObject();
      g.writeNumberField("index", c.index());
      g.writeStringField("text", c.text());
      g.writeFieldName("logprobs");
      if (c.logprobs() == null) {
        g.writeNull();
      } else {
        Json.MAPPER.writeTree(g, c.logprobs());
      }
      if (c.finishReason() == null) {
        g.writeNullField("finish_reason");
      } else {
        g.writeStringField("finish_reason", c.finishReason());
      }
      g.writeEndObject();
    }
    g.writeEndArray();
    if (usage != null) {
      ChatChunkCodec.writeUsage(g, usage);
    }
    g.writeEndObject();
  }

  /** Folds streamed chunks into one completion. */
  public static final class Aggregator implements java.util.function.Consumer<CompletionChunk> {
    private @Nullable CompletionChunk first;
    private @Nullable Usage usage;
    private final TreeMap<Integer, StringBuilder> texts = new TreeMap<>();
    private final TreeMap<Integer, String> finish = new TreeMap<>();
    private final TreeMap<Integer, JsonNode> logprobs = new TreeMap<>();

    @Override
    public void accept(CompletionChunk c) {
      if (first == null) {
        first = c;
      }
      if (c.usage() != null) {
        usage = c.usage();
      }
      for (Choice ch : c.choices()) {
        texts.computeIfAbsent(ch.index(), i -> new StringBuilder()).append(ch.text());
        if (ch.finishReason() != null) {
          finish.put(ch.index(), ch.finishReason());
        }
        if (ch.logprobs() != null) {
          logprobs.merge(ch.index(), ch.logprobs(), ChatChunkCodec::mergeLogprobs);
        }
      }
    }

    public @Nullable Usage usage() {
      return usage;
    }

    public CompletionChunk result() {
      var choices = new ArrayList<Choice>();
      texts.forEach(
          (i, sb) ->
              choices.add(
                  new Choice(i, sb.toString(), finish.getOrDefault(i, "stop"), logprobs.get(i))));
      if (choices.isEmpty()) {
        choices.add(new Choice(0, "", "stop", null));
      }
      CompletionChunk f = first;
      return new CompletionChunk(
          f == null ? "" : f.id(),
          f == null ? 0 : f.created(),
          f == null ? "" : f.model(),
          choices,
          usage);
    }
  }
}
