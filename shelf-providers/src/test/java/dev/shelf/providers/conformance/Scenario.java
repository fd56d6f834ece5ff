package dev.shelf.providers.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.shelf.api.Json;
import dev.shelf.api.Usage;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The canonical scenarios, stated once: what the model "says" in each, as fragments a vendor
 * fixture renders into its own wire format, and the canonical answer every provider must turn those
 * bytes back into. Fixtures read the fragments and usage from here, so a scenario cannot drift
 * between vendors.
 */
enum Scenario {
  /** A plain answer in several deltas, with usage (and cache reads where the vendor has them). */
  TEXT(List.of("Hello", ", wor", "ld!"), List.of(), List.of(), "stop", new Usage(30, 5, 20, null)),
  /** Reasoning deltas, then the answer. */
  REASONING(
      List.of("The answer", " is 42."),
      List.of("6 * 7 = ", "42, so the answer", " is 42."),
      List.of(),
      "stop",
      new Usage(12, 40, 0, 30)),
  /** A sentence, then two parallel tool calls whose arguments arrive in fragments. */
  PARALLEL_TOOLS(
      List.of("Checking both."),
      List.of(),
      List.of(
          new Tool(
              "get_weather",
              List.of("{\"city\": \"Par", "is\", \"unit\": \"cel", "sius\"}"),
              "toolu_01Weather00000000000001"),
          new Tool(
              "get_time",
              List.of("{\"tz\":", " \"Europe/Paris\"}"),
              "toolu_01Time0000000000000002")),
      "tool_calls",
      new Usage(96, 41, 0, null)),
  /** An answer cut off by the output limit. */
  LENGTH(
      List.of("The history of", " Rome begins"),
      List.of(),
      List.of(),
      "length",
      new Usage(14, 5, 0, null)),
  /** HTTP 429 with a retry delay of {@link #RETRY_AFTER_SECONDS}. */
  RATE_LIMITED,
  /** HTTP 5xx or the vendor's "overloaded" answer. */
  OVERLOADED,
  /** The vendor's error event after text has begun streaming. */
  ERROR_MID_STREAM(List.of("Once upon"), List.of(), List.of(), "", new Usage(7, 2, 0, null)),
  /** HTTP 401: the key is refused. */
  UNAUTHORIZED,
  /** The body ends after some text, with no finish: the connection dropped. */
  TRUNCATED(List.of("Once upon", " a time"), List.of(), List.of(), "", new Usage(7, 3, 0, null));

  /** The key the provider is configured with; no exception message may contain it. */
  static final String KEY = "conformance-key-4f9c2a7e1b";

  /** Planted in every error body the stub sends; no exception message may contain it. */
  static final String MARKER = "secret-body-marker";

  static final int RETRY_AFTER_SECONDS = 7;

  static final String MODEL = "conformance-model";

  /**
   * One tool call as the model streams it.
   *
   * @param fragments the argument text, in the pieces the vendor sends (where it splits at all)
   * @param vendorId the id a vendor that names calls gives it (Gemini names none)
   */
  record Tool(String name, List<String> fragments, String vendorId) {
    Tool {
      fragments = List.copyOf(fragments);
    }

    String arguments() {
      return String.join("", fragments);
    }

    JsonNode argumentsJson() {
      return Json.parse(arguments().getBytes(StandardCharsets.UTF_8));
    }
  }

  private final List<String> text;
  private final List<String> reasoning;
  private final List<Tool> tools;
  private final String finishReason;
  private final @Nullable Usage usage;

  Scenario(
      List<String> text,
      List<String> reasoning,
      List<Tool> tools,
      String finishReason,
      Usage usage) {
    this.text = List.copyOf(text);
    this.reasoning = List.copyOf(reasoning);
    this.tools = List.copyOf(tools);
    this.finishReason = finishReason;
    this.usage = usage;
  }

  /** An error scenario: no content. */
  Scenario() {
    this.text = List.of();
    this.reasoning = List.of();
    this.tools = List.of();
    this.finishReason = "";
    this.usage = null;
  }

  /** The answer's text deltas, in order. */
  List<String> text() {
    return text;
  }

  List<String> reasoning() {
    return reasoning;
  }

  List<Tool> tools() {
    return tools;
  }

  /** The canonical (OpenAI) finish reason; empty where the answer never finishes. */
  String finishReason() {
    return finishReason;
  }

  /**
   * The canonical usage: prompt tokens include cached ones, completion tokens include reasoning
   * ones. Vendors that count apart (Anthropic's cache reads, Gemini's thoughts) get the split from
   * their fixture.
   */
  Usage usage() {
    Usage u = usage;
    if (u == null) {
      throw new IllegalStateException(this + " has no usage");
    }
    return u;
  }

  /** The request the client sends, in OpenAI's chat shape. */
  String requestJson() {
    String base =
        "{\"model\":\"" + MODEL + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]";
    return switch (this) {
      case PARALLEL_TOOLS ->
          base
              + ",\"tools\":["
              + tool(
                  "get_weather", "{\"city\":{\"type\":\"string\"},\"unit\":{\"type\":\"string\"}}")
              + ","
              + tool("get_time", "{\"tz\":{\"type\":\"string\"}}")
              + "]}";
      case LENGTH -> base + ",\"max_tokens\":5}";
      default -> base + "}";
    };
  }

  private static String tool(String name, String properties) {
    return "{\"type\":\"function\",\"function\":{\"name\":\""
        + name
        + "\",\"parameters\":{\"type\":\"object\",\"properties\":"
        + properties
        + "}}}";
  }

  /** {@code s} as a JSON string literal, quotes included. */
  static String q(String s) {
    return TextNode.valueOf(s).toString();
  }
}
