package dev.shelf.api;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * Embeddings, one per input. Each {@code embedding} is kept as JSON: an array of floats, or a
 * base64 string of little-endian float32 when the client asked for {@code encoding_format=base64}.
 */
public record EmbeddingResponse(List<Item> data, String model, int promptTokens) {

  public EmbeddingResponse {
    data = List.copyOf(data);
  }

  public record Item(int index, JsonNode embedding) {}

  public EmbeddingResponse withModel(String newModel) {
    return new EmbeddingResponse(data, newModel, promptTokens);
  }

  public static EmbeddingResponse read(JsonNode o) {
    var items = new ArrayList<Item>();
    int i = 0;
    for (JsonNode d : o.path("data")) {
      items.add(new Item(d.path("index").asInt(i), d.path("embedding")));
      i++;
    }
    return new EmbeddingResponse(
        items, o.path("model").asText(""), o.path("usage").path("prompt_tokens").asInt(0));
  }

  public byte[] write() {
    return Json.write(
        g -> {
          g.writeStartObject();
          g.writeStringField("object", "list");
          g.writeArrayFieldStart("data");
          for (Item item : data) {
            g.writeStartObject();
            g.writeStringField("object", "embedding");
            g.writeNumberField("index", item.index());
            g.writeFieldName("embedding");
            Json.MAPPER.writeTree(g, item.embedding());
            g.writeEndObject();
          }
          g.writeEndArray();
          g.writeStringField("model", model);
          g.writeObjectFieldStart("usage");
          g.writeNumberField("prompt_tokens", promptTokens);
          g.writeNumberField("total_tokens", promptTokens);
          g.writeEndObject();
          g.writeEndObject();
        });
  }
}
