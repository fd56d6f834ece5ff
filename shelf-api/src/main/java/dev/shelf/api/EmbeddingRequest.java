package dev.shelf.api;

import static dev.shelf.api.Fields.integer;
import static dev.shelf.api.Fields.present;
import static dev.shelf.api.Fields.requireObject;
import static dev.shelf.api.Fields.requireString;
import static dev.shelf.api.Fields.string;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * An embeddings request. {@code input} is a string, an array of strings, an array of token ids or
 * an array of token-id arrays, as in OpenAI's API.
 */
public record EmbeddingRequest(
    String model,
    JsonNode input,
    @Nullable String encodingFormat,
    @Nullable Integer dimensions,
    @Nullable String user,
    ObjectNode extra) {

  private static final Set<String> KNOWN =
      Set.of("model", "input", "encoding_format", "dimensions", "user");

  public EmbeddingRequest withModel(String newModel) {
    return new EmbeddingRequest(newModel, input, encodingFormat, dimensions, user, extra);
  }

  /** How many inputs the request embeds. */
  public int inputCount() {
    if (input.isTextual()) {
      return 1;
    }
    return input.size() > 0 && input.get(0).isNumber() ? 1 : input.size();
  }

  public static EmbeddingRequest read(JsonNode body) {
    ObjectNode o = requireObject(body, "body");
    String model = requireString(o, "model", "model");
    JsonNode input = present(o, "input");
    if (input == null) {
      throw ApiException.invalid("input", "Missing required parameter: 'input'.");
    }
    if (input.isTextual()) {
      if (input.textValue().isEmpty()) {
        throw ApiException.invalid("input", "Invalid 'input': string must not be empty.");
      }
    } else if (input.isArray()) {
      if (input.isEmpty()) {
        throw ApiException.invalid(
            "input", "Invalid 'input': empty array. Expected an array with minimum length 1.");
      }
      if (input.size() > 2048) {
        throw ApiException.invalid(
            "input", "Invalid 'input': array too long. Expected at most 2048 inputs.");
      }
      for (int i = 0; i < input.size(); i++) {
        JsonNode v = input.get(i);
        if (!v.isTextual() && !v.isIntegralNumber() && !v.isArray()) {
          throw Fields.typeError("input[" + i + "]", "a string or token ids", v);
        }
      }
    } else {
      throw Fields.typeError("input", "a string or an array", input);
    }
    String format = string(o, "encoding_format", "encoding_format");
    if (format != null && !format.equals("float") && !format.equals("base64")) {
      throw ApiException.invalid(
          "encoding_format",
          "Invalid value: '" + format + "'. Supported values are: 'float' and 'base64'.");
    }
    ObjectNode extra = Fields.extras(o, KNOWN);
    return new EmbeddingRequest(
        model,
        input,
        format,
        integer(o, "dimensions", "dimensions", 1, 65536),
        string(o, "user", "user"),
        extra);
  }

  public ObjectNode write() {
    ObjectNode o = Json.object().put("model", model);
    o.set("input", input);
    if (encodingFormat != null) {
      o.put("encoding_format", encodingFormat);
    }
    if (dimensions != null) {
      o.put("dimensions", dimensions);
    }
    if (user != null) {
      o.put("user", user);
    }
    o.setAll(extra);
    return o;
  }
}
