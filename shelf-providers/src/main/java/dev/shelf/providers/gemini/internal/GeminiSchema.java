package dev.shelf.providers.gemini.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shelf.api.Json;
import dev.shelf.providers.spi.ProviderException;
import dev.shelf.providers.spi.ProviderException.Kind;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * JSON Schema (as OpenAI clients write tool parameters and {@code json_schema} answers) to Gemini's
 * {@code Schema}, a subset of OpenAPI 3.0. A pure function.
 *
 * <p>Gemini rejects what it does not know, so the conversion keeps only the keywords Gemini defines
 * and rewrites the common JSON Schema idioms it lacks:
 *
 * <ul>
 *   <li>{@code $ref} to {@code #/$defs/…} or {@code #/definitions/…} is inlined; a recursive
 *       reference becomes {@code {"type":"object"}} at its second visit (lossy: recursion cut).
 *   <li>{@code "type": ["string","null"]}, a {@code {"type":"null"}} branch of {@code anyOf} and a
 *       {@code null} in {@code enum} become {@code nullable: true}; {@code oneOf} becomes {@code
 *       anyOf} (lossy: "exactly one" reads as "at least one"); {@code allOf} is merged into one
 *       schema (properties and required lists joined, other keywords first wins).
 *   <li>{@code const} becomes a one-value {@code enum}; an {@code enum} of non-strings (Gemini's
 *       enums are strings only) is dropped and its values listed in the description instead.
 *   <li>{@code format} is kept only where Gemini supports it ({@code date-time} and {@code enum} on
 *       strings, {@code float}/{@code double} on numbers, {@code int32}/{@code int64} on integers).
 *   <li>An empty {@code properties} is left out (Gemini rejects an OBJECT with empty properties),
 *       and {@code required} names only properties that exist.
 *   <li>{@code examples} becomes {@code example} (its first value); {@code exclusiveMinimum} and
 *       {@code exclusiveMaximum} (numbers) become inclusive bounds (lossy).
 *   <li>Everything else is dropped: {@code $schema}, {@code $id}, {@code additionalProperties},
 *       {@code patternProperties}, {@code prefixItems}, {@code uniqueItems}, {@code multipleOf},
 *       {@code not}, {@code if}/{@code then}/{@code else}, {@code dependentRequired}, …
 * </ul>
 */
public final class GeminiSchema {
  /** Keywords copied as given (after their values are converted, where they are schemas). */
  private static final Set<String> PLAIN =
      Set.of(
          "title",
          "description",
          "maxItems",
          "minItems",
          "minProperties",
          "maxProperties",
          "minLength",
          "maxLength",
          "pattern",
          "example",
          "default",
          "minimum",
          "maximum",
          "propertyOrdering");

  private static final Map<String, Set<String>> FORMATS =
      Map.of(
          "string", Set.of("date-time", "enum"),
          "number", Set.of("float", "double"),
          "integer", Set.of("int32", "int64"));

  private static final int MAX_DEPTH = 64;

  private final JsonNode root;
  private final String param;
  private final Deque<String> refs = new ArrayDeque<>();

  private GeminiSchema(JsonNode root, String param) {
    this.root = root;
    this.param = param;
  }

  /**
   * Converts {@code schema}; {@code param} names it in errors (an unresolvable {@code $ref}, a
   * schema nested deeper than 64 levels).
   */
  public static ObjectNode convert(JsonNode schema, String param) {
    return new GeminiSchema(schema, param).node(schema, 0);
  }

  private ObjectNode node(JsonNode schema, int depth) {
    if (depth > MAX_DEPTH) {
      throw bad("is nested deeper than " + MAX_DEPTH + " levels");
    }
    if (!(schema instanceof ObjectNode in)) {
      return Json.object(); // `true` or a malformed subschema: anything goes
    }
    JsonNode ref = in.get("$ref");
    if (ref != null && ref.isTextual()) {
      return refNode(in, ref.textValue(), depth);
    }
    ObjectNode s = in.has("allOf") ? mergeAllOf(in) : in;
    if (s != in && s.has("$ref")) {
      return node(s, depth + 1);
    }
    ObjectNode out = Json.object();
    boolean nullable = s.path("nullable").asBoolean(false);

    String type = null;
    JsonNode t = s.get("type");
    if (t != null && t.isTextual()) {
      if (t.textValue().equals("null")) {
        nullable = true;
      } else {
        type = t.textValue();
      }
    } else if (t != null && t.isArray()) {
      List<String> types = new ArrayList<>();
      for (JsonNode e : t) {
        if (e.asText().equals("null")) {
          nullable = true;
        } else {
          types.add(e.asText());
        }
      }
      if (types.size() == 1) {
        type = types.getFirst();
      } else if (types.size() > 1) {
        ArrayNode any = out.putArray("anyOf");
        types.forEach(x -> any.addObject().put("type", x));
      }
    }

    JsonNode enumNode = s.get("enum");
    if (s.has("const")) {
      enumNode = Json.NODES.arrayNode().add(s.get("const"));
    }
    if (enumNode != null && enumNode.isArray()) {
      ArrayNode strings = Json.NODES.arrayNode();
      boolean allStrings = true;
      for (JsonNode v : enumNode) {
        if (v.isNull()) {
          nullable = true;
        } else if (v.isTextual()) {
          strings.add(v);
        } else {
          allStrings = false;
        }
      }
      if (allStrings && !strings.isEmpty()) {
        type = type == null ? "string" : type;
        out.set("enum", strings);
      } else if (!allStrings) {
        // Lossy: Gemini's enums are strings only; the values survive as a hint to the model.
        List<String> values = new ArrayList<>();
        enumNode.forEach(v -> values.add(Json.string(v)));
        String d = s.path("description").asText("");
        out.put(
            "description",
            (d.isEmpty() ? "" : d + " ") + "Allowed values: " + String.join(", ", values) + ".");
      }
    }
    if (type != null) {
      out.put("type", type);
      JsonNode f = s.get("format");
      if (f != null && FORMATS.getOrDefault(type, Set.of()).contains(f.asText())) {
        out.put("format", f.asText());
      }
    }

    for (String k : PLAIN) {
      if (s.has(k) && !out.has(k)) {
        out.set(k, s.get(k));
      }
    }
    if (!out.has("example") && s.path("examples").isArray() && !s.path("examples").isEmpty()) {
      out.set("example", s.path("examples").get(0));
    }
    if (!out.has("minimum") && s.path("exclusiveMinimum").isNumber()) {
      out.set("minimum", s.get("exclusiveMinimum"));
    }
    if (!out.has("maximum") && s.path("exclusiveMaximum").isNumber()) {
      out.set("maximum", s.get("exclusiveMaximum"));
    }

    if (s.path("properties") instanceof ObjectNode props && !props.isEmpty()) {
      ObjectNode p = out.putObject("properties");
      props.properties().forEach(e -> p.set(e.getKey(), node(e.getValue(), depth + 1)));
      if (s.path("required").isArray()) {
        ArrayNode req = Json.NODES.arrayNode();
        for (JsonNode r : s.path("required")) {
          if (r.isTextual() && props.has(r.textValue())) {
            req.add(r);
          }
        }
        if (!req.isEmpty()) {
          out.set("required", req);
        }
      }
    }
    if (s.has("items") && !s.get("items").isArray()) {
      out.set("items", node(s.get("items"), depth + 1));
    }

    JsonNode branches = s.has("anyOf") ? s.get("anyOf") : s.get("oneOf");
    if (branches != null && branches.isArray()) {
      ArrayNode any = Json.NODES.arrayNode();
      for (JsonNode b : branches) {
        if ("null".equals(b.path("type").asText()) && b.size() == 1) {
          nullable = true;
        } else {
          any.add(node(b, depth + 1));
        }
      }
      if (any.size() == 1 && any.get(0) instanceof ObjectNode only) {
        // `anyOf: [X, {type: null}]`, Pydantic's Optional[X]: X itself, nullable
        only.properties().forEach(e -> out.putIfAbsent(e.getKey(), e.getValue()));
      } else if (any.size() > 1) {
        out.set("anyOf", any);
      }
    }
    if (nullable) {
      out.put("nullable", true);
    }
    return out;
  }

  private ObjectNode refNode(ObjectNode in, String ref, int depth) {
    if (refs.contains(ref)) {
      // Lossy: Gemini schemas cannot recurse; the second visit is an untyped object.
      ObjectNode o = Json.object();
      o.put("type", "object");
      if (in.has("description")) {
        o.set("description", in.get("description"));
      }
      return o;
    }
    JsonNode target = resolve(ref);
    refs.push(ref);
    try {
      ObjectNode resolved = node(target, depth + 1);
      // Keywords beside the $ref (a description, usually) win over the definition's.
      ObjectNode siblings = in.deepCopy();
      siblings.remove("$ref");
      ObjectNode own = node(siblings, depth + 1);
      own.properties().forEach(e -> resolved.set(e.getKey(), e.getValue()));
      return resolved;
    } finally {
      refs.pop();
    }
  }

  private JsonNode resolve(String ref) {
    if (ref.equals("#")) {
      return root;
    }
    if (ref.startsWith("#/")) {
      JsonNode n = root.at(ref.substring(1));
      if (!n.isMissingNode()) {
        return n;
      }
    }
    throw bad("has a $ref that Shelf cannot resolve: '" + ref + "' (only local refs are inlined)");
  }

  /** {@code allOf} folded into its parent: properties and required joined, else first wins. */
  private ObjectNode mergeAllOf(ObjectNode in) {
    ObjectNode out = in.deepCopy();
    out.remove("allOf");
    ObjectNode props = out.path("properties") instanceof ObjectNode p ? p : Json.object();
    Set<String> required = new LinkedHashSet<>();
    out.path("required").forEach(r -> required.add(r.asText()));
    for (JsonNode p : in.get("allOf")) {
      JsonNode part = p.path("$ref").isTextual() ? resolve(p.path("$ref").asText()) : p;
      if (!(part instanceof ObjectNode o)) {
        continue;
      }
      o.properties()
          .forEach(
              e -> {
                switch (e.getKey()) {
                  case "properties" ->
                      e.getValue()
                          .properties()
                          .forEach(q -> props.putIfAbsent(q.getKey(), q.getValue()));
                  case "required" -> e.getValue().forEach(r -> required.add(r.asText()));
                  default -> out.putIfAbsent(e.getKey(), e.getValue());
                }
              });
    }
    if (!props.isEmpty()) {
      out.set("properties", props);
    }
    if (!required.isEmpty()) {
      ArrayNode r = out.putArray("required");
      required.forEach(r::add);
    }
    return out;
  }

  private ProviderException bad(String what) {
    return new ProviderException(
        Kind.BAD_REQUEST,
        "Invalid '" + param + "': the schema " + what + ".",
        null,
        param,
        0,
        null,
        null);
  }
}
