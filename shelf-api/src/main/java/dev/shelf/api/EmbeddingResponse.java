package dev.shelf.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * Embeddings, one per input. Each {@code embedding} is kept as JSON: an array of floats, or a
 * base64 string of little-endian float32 when the client asked for {@code encoding_format=base64}.
 */
public record EmbeddingResponse(List<Item> data, String model, int promptTokens) {

  public EmbeddingResponse {
    data = List.copyOf(data);
  }

  public record Item(int index, JsonNode embedding) {
    /** The embedding's values, from either form ({@link #encode}). */
    public float[] floats() {
      if (embedding.isTextual()) {
        ByteBuffer buf =
            ByteBuffer.wrap(Base64.getDecoder().decode(embedding.textValue()))
                .order(ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[buf.remaining() / Float.BYTES];
        buf.asFloatBuffer().get(out);
        return out;
      }
      float[] out = new float[embedding.size()];
      for (int i = 0; i < out.length; i++) {
        out[i] = embedding.get(i).floatValue();
      }
      return out;
    }
  }

  /**
   * An embedding as OpenAI sends it: a JSON array of numbers, or with {@code base64} the base64 of
   * its values as little-endian float32, which is what {@code encoding_format=base64} asks for.
   */
  public static JsonNode encode(float[] vector, boolean base64) {
    if (base64) {
      ByteBuffer buf =
          ByteBuffer.allocate(vector.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
      buf.asFloatBuffer().put(vector);
      return Json.NODES.textNode(Base64.getEncoder().encodeToString(buf.array()));
    }
    ArrayNode a = Json.NODES.arrayNode(vector.length);
    for (float v : vector) {
      a.add(v);
    }
    return a;
  }

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
