package dev.shelf.api;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/** The one shared Jackson setup, and small helpers for reading trees. */
public final class Json {
  public static final ObjectMapper MAPPER =
      new ObjectMapper(
              JsonFactory.builder()
                  .streamReadConstraints(
                      StreamReadConstraints.builder().maxNestingDepth(200).build())
                  // Jackson's default buffer pool is per thread; with a virtual thread per request
                  // every request would allocate fresh buffers. A shared pool reuses them.
                  .recyclerPool(JsonRecyclerPools.sharedLockFreePool())
                  .build())
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  /** For whole documents (request bodies): anything after the JSON value is an error. */
  private static final com.fasterxml.jackson.databind.ObjectReader STRICT =
      MAPPER.readerFor(JsonNode.class).with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  public static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private Json() {}

  /** Parses a request body; malformed JSON becomes a 400 naming the position. */
  public static JsonNode parse(byte[] body) {
    if (body.length == 0) {
      throw ApiException.invalid(
          null, "We could not parse the JSON body of your request: it is empty.");
    }
    try {
      return STRICT.readTree(body);
    } catch (JsonProcessingException e) {
      throw ApiException.invalid(
          null,
          "We could not parse the JSON body of your request: "
              + e.getOriginalMessage()
              + locationOf(e));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String locationOf(JsonProcessingException e) {
    var loc = e.getLocation();
    return loc == null ? "" : " (line " + loc.getLineNr() + ", column " + loc.getColumnNr() + ")";
  }

  public static ObjectNode object() {
    return NODES.objectNode();
  }

  public static byte[] bytes(JsonNode node) {
    try {
      return MAPPER.writeValueAsBytes(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  public static String string(JsonNode node) {
    try {
      return MAPPER.writeValueAsString(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Writes with a streaming generator: the hot path (chunks, completions) avoids trees. */
  public static byte[] write(Writer writer) {
    var out = new ByteArrayOutputStream(256);
    try (JsonGenerator g = MAPPER.getFactory().createGenerator(out)) {
      writer.write(g);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** A body that writes itself to a generator. */
  @FunctionalInterface
  public interface Writer {
    void write(JsonGenerator g) throws IOException;
  }
}
