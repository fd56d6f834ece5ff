package dev.shelf.providers.gemini.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shelf.api.EmbeddingRequest;
import dev.shelf.api.EmbeddingResponse;
import dev.shelf.api.Json;
import dev.shelf.providers.spi.ProviderException;
import dev.shelf.providers.spi.ProviderException.Kind;
import java.util.ArrayList;
import java.util.List;

/**
 * OpenAI embeddings requests to Gemini's {@code batchEmbedContents} and back; pure functions.
 *
 * <p>Gemini embeds text only, so token-id inputs are refused. {@code dimensions} becomes {@code
 * outputDimensionality}; a {@code task_type} extra field ({@code RETRIEVAL_QUERY}, {@code
 * RETRIEVAL_DOCUMENT}, …) is passed on as {@code taskType}. Gemini reports no token usage: the
 * response says 0 prompt tokens (lossy).
 */
public final class Embeddings {
  private Embeddings() {}

  /**
   * @param modelPath the model's resource name, {@code models/…} ({@link
   *     GenerateContentRequest#modelPath})
   */
  public static ObjectNode toBatchRequest(EmbeddingRequest r, String modelPath) {
    List<String> texts = new ArrayList<>();
    JsonNode input = r.input();
    if (input.isTextual()) {
      texts.add(input.textValue());
    } else {
      for (int i = 0; i < input.size(); i++) {
        JsonNode v = input.get(i);
        if (!v.isTextual()) {
          throw new ProviderException(
              Kind.BAD_REQUEST,
              "Invalid 'input"
                  + (input.get(0).isNumber() ? "" : "[" + i + "]")
                  + "': gemini embeds text only, not token ids.",
              null,
              "input",
              0,
              null,
              null);
        }
        texts.add(v.textValue());
      }
    }
    ObjectNode body = Json.object();
    ArrayNode requests = body.putArray("requests");
    JsonNode taskType = r.extra().get("task_type");
    for (String text : texts) {
      ObjectNode one = requests.addObject();
      one.put("model", modelPath);
      one.putObject("content").putArray("parts").addObject().put("text", text);
      if (taskType != null && taskType.isTextual()) {
        one.set("taskType", taskType);
      }
      if (r.dimensions() != null) {
        one.put("outputDimensionality", r.dimensions());
      }
    }
    return body;
  }

  /**
   * {@code {"embeddings":[{"values":[…]}, …]}} as OpenAI embeddings, in order; base64
   * (little-endian float32, as OpenAI encodes them) when {@code base64} is set.
   */
  public static EmbeddingResponse fromBatchResponse(
      String provider, JsonNode body, String model, int expected, boolean base64) {
    JsonNode list = body.path("embeddings");
    if (list.size() != expected) {
      throw new ProviderException(
          Kind.BROKEN_STREAM,
          provider + " answered " + list.size() + " embeddings for " + expected + " inputs");
    }
    var items = new ArrayList<EmbeddingResponse.Item>(expected);
    for (int i = 0; i < list.size(); i++) {
      JsonNode values = list.get(i).path("values");
      if (!values.isArray()) {
        throw new ProviderException(
            Kind.BROKEN_STREAM, provider + " answered an embedding without values");
      }
      JsonNode embedding;
      if (base64) {
        float[] floats = new float[values.size()];
        for (int j = 0; j < floats.length; j++) {
          floats[j] = values.get(j).floatValue();
        }
        embedding = EmbeddingResponse.encode(floats, true);
      } else {
        embedding = values; // Gemini's numbers as given
      }
      items.add(new EmbeddingResponse.Item(i, embedding));
    }
    return new EmbeddingResponse(items, model, 0);
  }
}
