package dev.shelf.providers.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shelf.api.Json;
import dev.shelf.providers.openai.Preset.Auth;
import dev.shelf.providers.openai.Preset.MaxTokensField;
import dev.shelf.providers.openai.Preset.Range;
import dev.shelf.providers.openai.Preset.StreamUsage;
import dev.shelf.providers.spi.ProviderException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class PresetTest {
  private static final Set<String> HOSTED =
      Set.of(
          "openai",
          "deepseek",
          "qwen",
          "moonshot",
          "zhipu",
          "doubao",
          "minimax",
          "baichuan",
          "siliconflow",
          "openrouter",
          "groq",
          "together",
          "mistral",
          "xai");
  private static final Set<String> LOCAL =
      Set.of("vllm", "sglang", "llamacpp", "ollama", "lmstudio");

  private static Preset preset(String key) {
    return Objects.requireNonNull(Presets.get(key), key);
  }

  private static ObjectNode json(String singleQuoted) {
    return (ObjectNode)
        Json.parse(singleQuoted.replace('\'', '"').getBytes(StandardCharsets.UTF_8));
  }

  static Stream<String> allKeys() {
    return new TreeSet<>(Presets.all().keySet()).stream();
  }

  @Test
  void everyPresetInTheFileLoads() {
    var expected = new TreeSet<String>(HOSTED);
    expected.addAll(LOCAL);
    assertThat(new TreeSet<>(Presets.all().keySet())).isEqualTo(expected);
  }

  @ParameterizedTest
  @MethodSource("allKeys")
  void everyPresetIsWellFormed(String key) {
    Preset p = preset(key);
    assertThat(p.key()).isEqualTo(key);
    assertThat(p.name()).isNotBlank();
    assertThat(p.baseUrl()).matches("https?://[^\\s/]+(/\\S*)?").doesNotEndWith("/");
    assertThat(p.docs()).startsWith("https://");
    assertThat(p.reasoningField()).isIn("reasoning_content", "reasoning");
    if (HOSTED.contains(key)) {
      assertThat(p.baseUrl()).startsWith("https://");
      assertThat(p.keyRequired()).isTrue();
      assertThat(p.apiKeyEnv()).matches("[A-Z][A-Z0-9_]*_API_KEY");
    } else {
      assertThat(p.baseUrl()).startsWith("http://127.0.0.1:");
      assertThat(p.keyRequired()).isFalse();
    }
    Range t = p.temperature();
    if (t != null) {
      assertThat(t.min()).isBetween(0.0, t.max());
      assertThat(t.max()).isLessThanOrEqualTo(2.0);
    }
    Range tp = p.topP();
    if (tp != null) {
      assertThat(tp.min()).isBetween(0.0, tp.max());
      assertThat(tp.max()).isLessThanOrEqualTo(1.0);
    }
    Integer maxN = p.maxN();
    if (maxN != null) {
      assertThat(maxN).isPositive();
    }
  }

  /** Doubao sets nothing beyond the basics: every default shows. */
  @Test
  void defaults() {
    Preset p = preset("doubao");
    assertThat(p.auth()).isEqualTo(Auth.BEARER);
    assertThat(p.authHeader()).isNull();
    assertThat(p.keyRequired()).isTrue();
    assertThat(p.maxTokensField()).isEqualTo(MaxTokensField.MAX_TOKENS);
    assertThat(p.streamUsage()).isEqualTo(StreamUsage.INCLUDE_USAGE);
    assertThat(p.dropParams()).isEmpty();
    assertThat(p.maxN()).isNull();
    assertThat(p.temperature()).isNull();
    assertThat(p.topP()).isNull();
    assertThat(p.jsonSchema()).isTrue();
    assertThat(p.toolChoiceRequired()).isTrue();
    assertThat(p.parallelToolCallsParam()).isTrue();
    assertThat(p.errorInBody()).isFalse();
    // reasoning_field omitted falls back to reasoning_content
    assertThat(preset("together").reasoningField()).isEqualTo("reasoning_content");
  }

  @Test
  void valuesFromTheFile() {
    assertThat(preset("openai").maxTokensField()).isEqualTo(MaxTokensField.MAX_COMPLETION_TOKENS);
    assertThat(preset("moonshot").streamUsage()).isEqualTo(StreamUsage.ALWAYS);
    assertThat(preset("moonshot").temperature()).isEqualTo(new Range(0.0, 1.0));
    assertThat(preset("qwen").topP()).isEqualTo(new Range(0.01, 1.0));
    assertThat(preset("groq").dropParams())
        .containsExactly("logprobs", "logit_bias", "top_logprobs");
    assertThat(preset("groq").reasoningField()).isEqualTo("reasoning");
    assertThat(preset("minimax").errorInBody()).isTrue();
    assertThat(preset("deepseek").maxN()).isEqualTo(1);
    assertThat(preset("deepseek").jsonSchema()).isFalse();
    assertThat(preset("ollama").toolChoiceRequired()).isFalse();
    assertThat(preset("vllm").baseUrl()).isEqualTo("http://127.0.0.1:8000/v1");
  }

  @Test
  void parseRejectsUnknownKeysAndMissingRequiredOnes() {
    assertThatThrownBy(
            () -> Presets.parse("x", Map.of("name", "X", "base_url", "http://h", "max_nn", 2)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("presets.yaml: x: unknown key 'max_nn'");
    assertThatThrownBy(() -> Presets.parse("y", Map.of("name", "Y")))
        .hasMessage("presets.yaml: y: name and base_url are required");
  }

  @Test
  void parseAcceptsHyphenatedEnumValues() {
    Preset p =
        Presets.parse(
            "z",
            Map.of(
                "name", "Z",
                "base_url", "http://h",
                "max_tokens_field", "max-completion-tokens",
                "stream_usage", "none",
                "auth", "header",
                "auth_header", "api-key"));
    assertThat(p.maxTokensField()).isEqualTo(MaxTokensField.MAX_COMPLETION_TOKENS);
    assertThat(p.streamUsage()).isEqualTo(StreamUsage.NONE);
    assertThat(p.auth()).isEqualTo(Auth.HEADER);
    assertThat(p.authHeader()).isEqualTo("api-key");
  }

  // -------------------------------------------------------------------------------- adapt

  @ParameterizedTest
  @CsvSource({
    // preset,  usage sent?
    "openai,   true",
    "doubao,   true",
    "moonshot, false",
    "baichuan, false",
    "mistral,  false"
  })
  void streamAndUsage(String key, boolean includeUsage) {
    ObjectNode body =
        preset(key).adapt(json("{'model':'m','stream_options':{'include_usage':false}}"));
    assertThat(body.get("stream").booleanValue()).isTrue();
    if (includeUsage) {
      assertThat(body.get("stream_options")).isEqualTo(json("{'include_usage':true}"));
    } else {
      assertThat(body.has("stream_options")).isFalse();
    }
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '"',
      value = {
        // max_completion_tokens presets rename max_tokens, and the other way round
        "openai   | {'max_tokens':5}                            | {'max_completion_tokens':5}",
        "openai   | {'max_completion_tokens':6}                 | {'max_completion_tokens':6}",
        "openai   | {'max_tokens':5,'max_completion_tokens':6}  | {'max_completion_tokens':6}",
        "deepseek | {'max_completion_tokens':6}                 | {'max_tokens':6}",
        "deepseek | {}                                          | {}",
      })
  void maxTokensRenames(String key, String in, String out) {
    ObjectNode body = preset(key).adapt(json(in));
    body.remove(List.of("stream", "stream_options"));
    assertThat(body).isEqualTo(json(out));
  }

  @Test
  void genericPresetKeepsBothLimitFields() {
    ObjectNode body =
        Preset.generic("http://h/v1").adapt(json("{'max_tokens':5,'max_completion_tokens':6}"));
    assertThat(body.get("max_tokens").intValue()).isEqualTo(5);
    assertThat(body.get("max_completion_tokens").intValue()).isEqualTo(6);
  }

  @ParameterizedTest
  @CsvSource({
    // preset, field, sent, expected upstream
    "moonshot, temperature, 1.5, 1.0",
    "moonshot, temperature, 0.3, 0.3",
    "moonshot, temperature, 0, 0.0",
    "zhipu, temperature, 0, 0.01",
    "zhipu, top_p, 1, 0.99",
    "qwen, temperature, 2, 1.99",
    "qwen, top_p, 0, 0.01",
    "minimax, top_p, 0.5, 0.5",
    "openai, temperature, 2, 2.0",
    "openai, top_p, 0, 0.0"
  })
  void clamping(String key, String field, double sent, double expected) {
    ObjectNode body = preset(key).adapt(json("{'" + field + "':" + sent + "}"));
    assertThat(body.get(field).doubleValue()).isEqualTo(expected);
  }

  @Test
  void nonNumericTemperatureIsLeftForTheUpstreamToReject() {
    ObjectNode body = preset("moonshot").adapt(json("{'temperature':'hot'}"));
    assertThat(body.get("temperature").textValue()).isEqualTo("hot");
  }

  @Test
  void dropParams() {
    ObjectNode body =
        preset("mistral")
            .adapt(
                json(
                    "{'model':'m','seed':1,'random_seed':1,'logprobs':true,'top_logprobs':2,"
                        + "'logit_bias':{},'user':'u','temperature':0.5,'max_tokens':9}"));
    assertThat(names(body))
        .containsExactlyInAnyOrder("model", "random_seed", "temperature", "max_tokens", "stream");
  }

  @Test
  void jsonSchemaIsDowngradedToJsonModeWhereUnsupported() {
    String rf = "{'response_format':{'type':'json_schema','json_schema':{'name':'x','schema':{}}}}";
    assertThat(preset("deepseek").adapt(json(rf)).get("response_format"))
        .isEqualTo(json("{'type':'json_object'}"));
    assertThat(preset("openai").adapt(json(rf)).get("response_format"))
        .isEqualTo(json(rf).get("response_format"));
    assertThat(
            preset("deepseek")
                .adapt(json("{'response_format':{'type':'json_object'}}"))
                .get("response_format"))
        .isEqualTo(json("{'type':'json_object'}"));
  }

  @Test
  void toolChoiceRequiredBecomesAutoWhereUnsupported() {
    assertThat(
            preset("qwen").adapt(json("{'tool_choice':'required'}")).get("tool_choice").textValue())
        .isEqualTo("auto");
    assertThat(
            preset("openai")
                .adapt(json("{'tool_choice':'required'}"))
                .get("tool_choice")
                .textValue())
        .isEqualTo("required");
    JsonNode named = json("{'type':'function','function':{'name':'f'}}");
    ObjectNode body = json("{}");
    body.set("tool_choice", named.deepCopy());
    assertThat(preset("qwen").adapt(body).get("tool_choice")).isEqualTo(named);
  }

  @Test
  void parallelToolCallsParamCanBeDropped() {
    var m = new LinkedHashMap<String, Object>();
    m.put("name", "P");
    m.put("base_url", "http://h");
    m.put("parallel_tool_calls_param", false);
    assertThat(
            Presets.parse("p", m)
                .adapt(json("{'parallel_tool_calls':false}"))
                .has("parallel_tool_calls"))
        .isFalse();
    assertThat(
            preset("openai")
                .adapt(json("{'parallel_tool_calls':false}"))
                .has("parallel_tool_calls"))
        .isTrue();
  }

  @ParameterizedTest
  @CsvSource({"deepseek, 1", "groq, 1", "llamacpp, 1", "minimax, 1"})
  void maxN(String key, int max) {
    assertThat(preset(key).adapt(json("{'n':" + max + "}")).get("n").intValue()).isEqualTo(max);
    assertThatThrownBy(() -> preset(key).adapt(json("{'n':" + (max + 1) + "}")))
        .isInstanceOfSatisfying(
            ProviderException.class,
            e -> {
              assertThat(e.kind()).isEqualTo(ProviderException.Kind.BAD_REQUEST);
              assertThat(e.param()).isEqualTo("n");
              assertThat(e.code()).isEqualTo("unsupported_value");
              assertThat(e.getMessage())
                  .isEqualTo(
                      "Invalid 'n': " + preset(key).name() + " supports at most n=" + max + ".");
            });
  }

  /** One body through every preset: what comes out obeys that preset's declared limits. */
  @ParameterizedTest
  @MethodSource("allKeys")
  void everyPresetObeysItsOwnDeclaration(String key) {
    Preset p = preset(key);
    ObjectNode body =
        p.adapt(
            json(
                "{'model':'m','messages':[{'role':'user','content':'hi'}],'stream':false,"
                    + "'max_tokens':10,'temperature':2,'top_p':0,'n':1,'seed':3,'logprobs':true,"
                    + "'top_logprobs':1,'logit_bias':{},'user':'u','presence_penalty':1,"
                    + "'frequency_penalty':1,'tool_choice':'required','parallel_tool_calls':true,"
                    + "'response_format':{'type':'json_schema','json_schema':{'name':'n'}},"
                    + "'x_vendor':1}"));
    assertThat(body.get("model").textValue()).isEqualTo("m");
    assertThat(body.get("messages"))
        .isEqualTo(json("{'a':[{'role':'user','content':'hi'}]}").get("a"));
    assertThat(body.get("stream").booleanValue()).isTrue();
    assertThat(body.get("x_vendor").intValue()).as("pass-through kept").isEqualTo(1);
    for (String dropped : p.dropParams()) {
      assertThat(body.has(dropped)).as(dropped).isFalse();
    }
    assertThat(body.has("stream_options")).isEqualTo(p.streamUsage() == StreamUsage.INCLUDE_USAGE);
    switch (p.maxTokensField()) {
      case MAX_TOKENS ->
          assertThat(names(body)).contains("max_tokens").doesNotContain("max_completion_tokens");
      case MAX_COMPLETION_TOKENS ->
          assertThat(names(body)).contains("max_completion_tokens").doesNotContain("max_tokens");
      case KEEP -> assertThat(names(body)).contains("max_tokens");
    }
    Range t = Objects.requireNonNullElse(p.temperature(), new Range(0, 2));
    assertThat(body.get("temperature").doubleValue()).isEqualTo(Math.min(2, t.max()));
    Range tp = Objects.requireNonNullElse(p.topP(), new Range(0, 1));
    assertThat(body.get("top_p").doubleValue()).isEqualTo(Math.max(0, tp.min()));
    assertThat(body.get("response_format").get("type").textValue())
        .isEqualTo(p.jsonSchema() ? "json_schema" : "json_object");
    assertThat(body.get("tool_choice").textValue())
        .isEqualTo(p.toolChoiceRequired() ? "required" : "auto");
  }

  private static List<String> names(JsonNode node) {
    var out = new ArrayList<String>();
    node.fieldNames().forEachRemaining(out::add);
    return out;
  }
}
