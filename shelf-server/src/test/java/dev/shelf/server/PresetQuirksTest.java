package dev.shelf.server;

import static dev.shelf.server.PresetShelf.ask;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.core.JsonValue;
import com.openai.errors.BadRequestException;
import com.openai.errors.InternalServerException;
import com.openai.errors.OpenAIServiceException;
import com.openai.errors.RateLimitException;
import com.openai.models.FunctionDefinition;
import com.openai.models.ResponseFormatJsonSchema;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionToolChoiceOption;
import dev.shelf.api.Json;
import dev.shelf.gateway.config.ConfigException;
import dev.shelf.gateway.config.ConfigLoader;
import dev.shelf.server.stub.ChatStream;
import dev.shelf.server.stub.StubUpstream;
import dev.shelf.server.stub.StubUpstream.Recorded;
import dev.shelf.server.stub.StubUpstream.Response;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * One named test per quirk in {@code presets.yaml}: each preset pointed at a stub with {@code
 * base_url}, asserting what the vendor receives (the rewritten request) and what the client gets
 * back (the vendor's odd answer made standard). The generic SSE edge cases run through every preset
 * in {@link PresetStreamEdgeCasesTest}.
 */
class PresetQuirksTest {
  static PresetShelf p;
  static StubUpstream stub;

  @BeforeAll
  static void start() {
    p = new PresetShelf();
    stub = p.stub;
  }

  @AfterAll
  static void stop() {
    p.close();
  }

  @BeforeEach
  void reset() {
    stub.reset();
    stub.handler(r -> ok(r).response());
  }

  /** A plain answer from whichever upstream model was asked. */
  static ChatStream ok(Recorded r) {
    return ChatStream.of(r.json().path("model").asText())
        .role()
        .content("ok")
        .finish("stop")
        .usage(5, 1)
        .done();
  }

  static JsonNode sent() {
    return stub.onlyRequest().json();
  }

  static ChatCompletion create(ChatCompletionCreateParams.Builder b) {
    return p.client.chat().completions().create(b.build());
  }

  static final FunctionDefinition LOOKUP =
      FunctionDefinition.builder()
          .name("lookup")
          .parameters(
              com.openai.models.FunctionParameters.builder()
                  .putAdditionalProperty("type", JsonValue.from("object"))
                  .build())
          .build();

  static final ResponseFormatJsonSchema SCHEMA =
      ResponseFormatJsonSchema.builder()
          .jsonSchema(
              ResponseFormatJsonSchema.JsonSchema.builder()
                  .name("answer")
                  .schema(
                      ResponseFormatJsonSchema.JsonSchema.Schema.builder()
                          .putAdditionalProperty("type", JsonValue.from("object"))
                          .build())
                  .build())
          .build();

  // ------------------------------------------------------------------------------ every preset

  static Stream<String> presets() {
    return PresetShelf.keys().stream();
  }

  @ParameterizedTest
  @MethodSource("presets")
  void everyPresetStreamsUpstreamAndAuthenticatesAsItsVendorWants(String preset) {
    ChatCompletion c = create(ask(preset, "hi"));

    assertThat(c.choices().getFirst().message().content()).contains("ok");
    assertThat(c.model()).isEqualTo("m-" + preset);
    Recorded up = stub.onlyRequest();
    assertThat(up.path()).isEqualTo("/v1/chat/completions");
    assertThat(up.json().path("model").asText()).isEqualTo("up-" + preset);
    assertThat(up.json().path("stream").asBoolean()).isTrue();
    if (PresetShelf.preset(preset).keyRequired()) {
      assertThat(up.header("authorization")).isEqualTo("Bearer " + PresetShelf.apiKey(preset));
    } else {
      assertThat(up.header("authorization")).as("no key configured, none sent").isNull();
    }
    boolean asksForUsage =
        PresetShelf.preset(preset).streamUsage()
            == dev.shelf.providers.openai.Preset.StreamUsage.INCLUDE_USAGE;
    assertThat(up.json().path("stream_options").path("include_usage").asBoolean())
        .isEqualTo(asksForUsage);
    assertThat(up.json().has("stream_options")).isEqualTo(asksForUsage);
  }

  static Stream<String> presetsNeedingAKey() {
    return presets().filter(k -> PresetShelf.preset(k).keyRequired());
  }

  @ParameterizedTest
  @MethodSource("presetsNeedingAKey")
  void hostedPresetsRefuseToStartWithoutAKey(String preset) {
    String yaml = "providers:\n  x: {preset: " + preset + ", base_url: http://127.0.0.1:9/v1}\n";
    assertThatThrownBy(() -> new ConfigLoader(Map.of()).parse("test.yaml", yaml))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("needs api_key");
  }

  // ------------------------------------------------------------------------------ openai

  @Test
  void openaiGetsMaxCompletionTokensEvenWhenTheClientSaysMaxTokens() {
    create(ask("openai", "hi").maxTokens(77));
    assertThat(sent().path("max_completion_tokens").asInt()).isEqualTo(77);
    assertThat(sent().has("max_tokens")).isFalse();
  }

  // ------------------------------------------------------------------------------ deepseek

  @Test
  void deepseekDropsLogprobsAndTopLogprobs() {
    create(ask("deepseek", "hi").logprobs(true).topLogprobs(3).temperature(0.7));
    assertThat(sent().has("logprobs")).isFalse();
    assertThat(sent().has("top_logprobs")).isFalse();
    assertThat(sent().path("temperature").asDouble()).isEqualTo(0.7);
  }

  @Test
  void deepseekAllowsOneChoiceOnlyAndSaysSoNamingN() {
    var e =
        catchThrowableOfType(BadRequestException.class, () -> create(ask("deepseek", "hi").n(2)));
    assertThat(e.statusCode()).isEqualTo(400);
    assertThat(e.param()).contains("n");
    assertThat(e.code()).contains("unsupported_value");
    assertThat(e.getMessage()).contains("DeepSeek").contains("n=1");
    assertThat(stub.requests()).as("refused before the upstream is called").isEmpty();

    create(ask("deepseek", "hi").n(1));
    assertThat(sent().path("n").asInt()).isEqualTo(1);
  }

  @Test
  void deepseekHasNoJsonSchemaSoItGetsJsonObject() {
    create(ask("deepseek", "json please").responseFormat(SCHEMA));
    assertThat(sent().path("response_format"))
        .isEqualTo(OpenAiSdkTest.json("{\"type\": \"json_object\"}"));
  }

  @Test
  void deepseekReasoningContentReachesTheClient() {
    stub.handler(
        r ->
            ChatStream.of("up-deepseek")
                .role()
                .reasoning("reasoning_content", "Think: 2+2")
                .reasoning("reasoning_content", " is 4.")
                .content("4")
                .finish("stop")
                .usage(9, 7)
                .done()
                .response());

    ChatCompletion c = create(ask("deepseek", "2+2?"));
    assertThat(c.choices().getFirst().message().content()).contains("4");
    assertThat(c.choices().getFirst().message()._additionalProperties().get("reasoning_content"))
        .isEqualTo(JsonValue.from("Think: 2+2 is 4."));

    var s = p.stream(ask("deepseek", "2+2?"));
    assertThat(s.reasoning()).isEqualTo("Think: 2+2 is 4.");
    assertThat(s.content()).isEqualTo("4");
  }

  @Test
  void deepseekWholeJsonAnswerWithLeadingBlankLinesIsAccepted() {
    // Under load DeepSeek pads a non-stream response with blank lines before the JSON.
    byte[] body =
        ("\n\n\n" + Json.string(ChatStream.completion("up-deepseek", "padded", "stop", 4, 1)))
            .getBytes(java.nio.charset.StandardCharsets.UTF_8);
    stub.handler(r -> new Response.Whole(200, Map.of(), body));

    ChatCompletion c = create(ask("deepseek", "hi"));
    assertThat(c.choices().getFirst().message().content()).contains("padded");
    assertThat(c.usage().orElseThrow().totalTokens()).isEqualTo(5);
  }

  @Test
  void deepseekPromptCacheHitTokensBecomeCachedTokens() {
    stub.handler(
        r ->
            ChatStream.of("up-deepseek")
                .role()
                .content("cached")
                .finish("stop")
                .data(
                    "{\"id\": \"x\", \"object\": \"chat.completion.chunk\", \"created\": 1,"
                        + " \"model\": \"deepseek-chat\", \"choices\": [], \"usage\":"
                        + " {\"prompt_tokens\": 100, \"completion_tokens\": 2, \"total_tokens\": 102,"
                        + " \"prompt_cache_hit_tokens\": 64, \"prompt_cache_miss_tokens\": 36,"
                        + " \"completion_tokens_details\": {\"reasoning_tokens\": 1}}}")
                .done()
                .response());

    ChatCompletion c = create(ask("deepseek", "hi"));
    var u = c.usage().orElseThrow();
    assertThat(u.promptTokens()).isEqualTo(100);
    assertThat(u.promptTokensDetails().orElseThrow().cachedTokens()).contains(64L);
    assertThat(u.completionTokensDetails().orElseThrow().reasoningTokens()).contains(1L);
  }

  // ------------------------------------------------------------------------------ qwen

  @Test
  void qwenClampsTemperatureAndTopPIntoItsRanges() {
    create(ask("qwen", "hi").temperature(2.0).topP(0.0));
    assertThat(sent().path("temperature").asDouble()).isEqualTo(1.99);
    assertThat(sent().path("top_p").asDouble()).isEqualTo(0.01);
  }

  @Test
  void qwenTurnsToolChoiceRequiredIntoAuto() {
    create(
        ask("qwen", "hi")
            .addFunctionTool(LOOKUP)
            .toolChoice(ChatCompletionToolChoiceOption.Auto.REQUIRED));
    assertThat(sent().path("tool_choice").asText()).isEqualTo("auto");
    assertThat(sent().path("tools")).hasSize(1);
  }

  // ------------------------------------------------------------------------------ moonshot

  @Test
  void moonshotGetsNoStreamOptionsAndItsUsageInsideTheChoiceIsRead() {
    // Moonshot sends usage unasked, in the final chunk at choices[0].usage.
    stub.handler(
        r ->
            ChatStream.of("up-moonshot")
                .role()
                .content("Kimi here")
                .finish("stop")
                .last(
                    c ->
                        ((com.fasterxml.jackson.databind.node.ObjectNode) c.path("choices").get(0))
                            .set("usage", ChatStream.usageJson(21, 3)))
                .done()
                .response());

    var s = p.stream(ask("moonshot", "hi"));
    assertThat(s.content()).isEqualTo("Kimi here");
    assertThat(s.usage()).isNotNull();
    assertThat(s.requireUsage().promptTokens()).isEqualTo(21);
    assertThat(s.requireUsage().completionTokens()).isEqualTo(3);
    assertThat(sent().has("stream_options")).isFalse();
  }

  @Test
  void moonshotClampsTemperatureHasNoJsonSchemaAndNoRequiredToolChoice() {
    create(
        ask("moonshot", "hi")
            .temperature(1.6)
            .responseFormat(SCHEMA)
            .addFunctionTool(LOOKUP)
            .toolChoice(ChatCompletionToolChoiceOption.Auto.REQUIRED));
    assertThat(sent().path("temperature").asDouble()).isEqualTo(1.0);
    assertThat(sent().path("response_format").path("type").asText()).isEqualTo("json_object");
    assertThat(sent().path("tool_choice").asText()).isEqualTo("auto");
  }

  // ------------------------------------------------------------------------------ zhipu

  @Test
  void zhipuClampsTemperatureIntoOneHundredthToOne() {
    create(ask("zhipu", "hi").temperature(0.0).topP(1.0));
    assertThat(sent().path("temperature").asDouble()).isEqualTo(0.01);
    assertThat(sent().path("top_p").asDouble()).isEqualTo(0.99);

    stub.reset();
    stub.handler(r -> ok(r).response());
    create(ask("zhipu", "hi").temperature(1.7));
    assertThat(sent().path("temperature").asDouble()).isEqualTo(1.0);

    stub.reset();
    stub.handler(r -> ok(r).response());
    create(ask("zhipu", "hi").temperature(0.5));
    assertThat(sent().path("temperature").asDouble()).as("in range: untouched").isEqualTo(0.5);
  }

  @Test
  void zhipuAcceptsOnlyAutoToolChoiceAndNoJsonSchema() {
    create(
        ask("zhipu", "hi")
            .addFunctionTool(LOOKUP)
            .toolChoice(ChatCompletionToolChoiceOption.Auto.REQUIRED)
            .responseFormat(SCHEMA));
    assertThat(sent().path("tool_choice").asText()).isEqualTo("auto");
    assertThat(sent().path("response_format").path("type").asText()).isEqualTo("json_object");
  }

  @Test
  void zhipuSensitiveFinishReasonBecomesContentFilter() {
    stub.handler(
        r ->
            ChatStream.of("up-zhipu")
                .role()
                .content("blocked")
                .finish("sensitive")
                .usage(1, 1)
                .done()
                .response());
    ChatCompletion c = create(ask("zhipu", "hi"));
    assertThat(c.choices().getFirst().finishReason())
        .isEqualTo(ChatCompletion.Choice.FinishReason.CONTENT_FILTER);
  }

  // ------------------------------------------------------------------------------ doubao

  @Test
  void doubaoReasoningContentAndMaxTokens() {
    stub.handler(
        r ->
            ChatStream.of("up-doubao")
                .role()
                .reasoning("reasoning_content", "Seed thinks")
                .content("answer")
                .finish("stop")
                .usage(3, 3)
                .done()
                .response());
    var s = p.stream(ask("doubao", "hi").maxCompletionTokens(64));
    assertThat(s.reasoning()).isEqualTo("Seed thinks");
    assertThat(s.content()).isEqualTo("answer");
    assertThat(sent().path("max_tokens").asInt()).isEqualTo(64);
    assertThat(sent().has("max_completion_tokens")).isFalse();
  }

  // ------------------------------------------------------------------------------ minimax

  @Test
  void minimaxBaseRespAuthErrorInA200IsAnUpstreamMisconfiguration() {
    stub.handler(
        r ->
            Response.json(
                200,
                "{\"id\": \"x\", \"choices\": [], \"base_resp\": {\"status_code\": 1004,"
                    + " \"status_msg\": \"login fail: key sk-minimax-secret-0001\"}}"));

    var e = catchThrowableOfType(InternalServerException.class, () -> create(ask("minimax", "hi")));
    assertThat(e.statusCode()).isEqualTo(502);
    assertThat(e.code()).contains("upstream_misconfigured");
    assertThat(e.body().toString()).doesNotContain("sk-minimax").doesNotContain("login fail");
  }

  @Test
  void minimaxBaseRespRateLimitInTheStreamIs429() {
    stub.handler(
        r ->
            Response.sse(
                "data: {\"id\": \"x\", \"choices\": [], \"base_resp\": {\"status_code\": 1002,"
                    + " \"status_msg\": \"rate limit\"}}\n\n"));

    var e = catchThrowableOfType(RateLimitException.class, () -> create(ask("minimax", "hi")));
    assertThat(e.statusCode()).isEqualTo(429);
    assertThat(e.code()).contains("rate_limit_exceeded");
  }

  @Test
  void minimaxSuccessCarriesStatusZeroAndPasses() {
    stub.handler(
        r ->
            ChatStream.of("up-minimax")
                .role()
                .content("fine")
                .finish("stop")
                .everyChunk(
                    c ->
                        c.putObject("base_resp").put("status_code", 0).put("status_msg", "success"))
                .usage(2, 1)
                .done()
                .response());
    assertThat(create(ask("minimax", "hi")).choices().getFirst().message().content())
        .contains("fine");
  }

  @Test
  void minimaxAllowsOneChoiceAndClampsTemperatureAndTopP() {
    assertThat(
            catchThrowableOfType(BadRequestException.class, () -> create(ask("minimax", "hi").n(3)))
                .param())
        .contains("n");
    create(ask("minimax", "hi").temperature(0.0).topP(0.0));
    assertThat(sent().path("temperature").asDouble()).isEqualTo(0.01);
    assertThat(sent().path("top_p").asDouble()).isEqualTo(0.01);
  }

  // ------------------------------------------------------------------------------ baichuan

  @Test
  void baichuanEmptyFinishReasonOnEveryChunkMeansNotFinished() {
    stub.handler(
        r ->
            ChatStream.of("up-baichuan")
                .role()
                .content("Bai")
                .content("chuan")
                .everyChunk(
                    c ->
                        ((com.fasterxml.jackson.databind.node.ObjectNode) c.path("choices").get(0))
                            .put("finish_reason", ""))
                .finish("stop")
                .last(c -> c.set("usage", ChatStream.usageJson(6, 2)))
                .done()
                .response());

    var s = p.stream(ask("baichuan", "hi").temperature(1.5));
    assertThat(s.content()).isEqualTo("Baichuan");
    assertThat(s.finishReasons()).containsExactly("stop");
    assertThat(s.usage()).isNotNull();
    assertThat(s.requireUsage().completionTokens()).isEqualTo(2);
    assertThat(sent().has("stream_options")).isFalse();
    assertThat(sent().path("temperature").asDouble()).isEqualTo(1.0);
  }

  // ------------------------------------------------------------------------------ siliconflow

  @Test
  void siliconflowCumulativeUsageOnEveryChunkIsTakenOnceNotSummed() {
    stub.handler(
        r -> {
          var s = ChatStream.of("up-siliconflow").role();
          int n = 0;
          for (String piece : List.of("one ", "two ", "three")) {
            s.content(piece);
            int done = ++n;
            s.last(c -> c.set("usage", ChatStream.usageJson(10, done)));
          }
          return s.finish("stop")
              .last(c -> c.set("usage", ChatStream.usageJson(10, 3)))
              .done()
              .response();
        });

    var s = p.stream(ask("siliconflow", "count"));
    assertThat(s.content()).isEqualTo("one two three");
    assertThat(s.usage()).isNotNull();
    assertThat(s.requireUsage().promptTokens()).isEqualTo(10);
    assertThat(s.requireUsage().completionTokens()).isEqualTo(3);
    assertThat(s.chunks().stream().filter(c -> c.usage().isPresent())).hasSize(1);

    ChatCompletion c = create(ask("siliconflow", "count"));
    assertThat(c.usage().orElseThrow().completionTokens()).isEqualTo(3);
  }

  // ------------------------------------------------------------------------------ openrouter

  @Test
  void openrouterReasoningFieldAndProcessingComments() {
    stub.handler(
        r ->
            ChatStream.of("up-openrouter")
                .comment("OPENROUTER PROCESSING")
                .comment("OPENROUTER PROCESSING")
                .role()
                .reasoning("reasoning", "Routing thoughts")
                .comment("OPENROUTER PROCESSING")
                .content("routed")
                .finish("stop")
                .usage(4, 4)
                .done()
                .response());

    var s = p.stream(ask("openrouter", "hi"));
    assertThat(s.error()).isNull();
    assertThat(s.reasoning()).isEqualTo("Routing thoughts");
    assertThat(s.content()).isEqualTo("routed");
    assertThat(s.usage()).isNotNull();
  }

  @Test
  void openrouterMidStreamErrorChunkWithFinishReasonErrorEndsTheStreamWithAnError() {
    stub.handler(
        r ->
            ChatStream.of("up-openrouter")
                .role()
                .content("Partial")
                .data(
                    "{\"id\": \"gen-1\", \"object\": \"chat.completion.chunk\", \"created\": 1,"
                        + " \"model\": \"x\", \"error\": {\"code\": 502, \"message\": \"Provider"
                        + " disconnected\"}, \"choices\": [{\"index\": 0, \"delta\": {\"content\":"
                        + " \"\"}, \"finish_reason\": \"error\"}]}")
                .done()
                .response());

    var s = p.stream(ask("openrouter", "hi"));
    assertThat(s.content()).isEqualTo("Partial");
    assertThat(s.error()).isNotNull();
    assertThat(s.requireError().code()).contains("upstream_error");
    assertThat(s.finishReasons()).isEmpty();

    // Before any byte reached the client, the same error is a plain 502.
    stub.handler(
        r ->
            Response.sse(
                "data: {\"error\": {\"code\": 502, \"message\": \"Provider disconnected\"},"
                    + " \"choices\": [{\"index\": 0, \"delta\": {}, \"finish_reason\":"
                    + " \"error\"}]}\n\n"));
    var e =
        catchThrowableOfType(InternalServerException.class, () -> create(ask("openrouter", "hi")));
    assertThat(e.statusCode()).isEqualTo(502);
  }

  @Test
  void openrouterAllowsOneChoice() {
    assertThat(
            catchThrowableOfType(
                    BadRequestException.class, () -> create(ask("openrouter", "hi").n(2)))
                .param())
        .contains("n");
  }

  // ------------------------------------------------------------------------------ groq

  @Test
  void groqDropsLogprobsLogitBiasTopLogprobsAndReadsReasoning() {
    stub.handler(
        r ->
            ChatStream.of("up-groq")
                .role()
                .reasoning("reasoning", "fast thought")
                .content("fast")
                .finish("stop")
                .last(c -> c.putObject("x_groq").put("id", "req_01").putObject("usage"))
                .usage(2, 2)
                .done()
                .response());

    ChatCompletion c =
        create(
            ask("groq", "hi")
                .logprobs(true)
                .topLogprobs(2)
                .logitBias(
                    ChatCompletionCreateParams.LogitBias.builder()
                        .putAdditionalProperty("50256", JsonValue.from(-100))
                        .build())
                .seed(7));
    assertThat(c.choices().getFirst().message().content()).contains("fast");
    assertThat(c.choices().getFirst().message()._additionalProperties().get("reasoning_content"))
        .isEqualTo(JsonValue.from("fast thought"));
    assertThat(sent().has("logprobs")).isFalse();
    assertThat(sent().has("top_logprobs")).isFalse();
    assertThat(sent().has("logit_bias")).isFalse();
    assertThat(sent().path("seed").asLong()).as("not dropped for groq").isEqualTo(7);
    assertThat(
            catchThrowableOfType(BadRequestException.class, () -> create(ask("groq", "hi").n(2)))
                .param())
        .contains("n");
  }

  // ------------------------------------------------------------------------------ together

  @Test
  void togetherIsPlainOpenAiAndThinkTagsStayInContent() {
    stub.handler(
        r ->
            ChatStream.of("up-together")
                .role()
                .content("<think>hmm</think>")
                .content("R1 says hi")
                .finish("stop")
                .usage(3, 8)
                .done()
                .response());
    ChatCompletion c = create(ask("together", "hi").maxCompletionTokens(10).logprobs(true));
    assertThat(c.choices().getFirst().message().content()).contains("<think>hmm</think>R1 says hi");
    assertThat(sent().path("max_tokens").asInt()).isEqualTo(10);
    assertThat(sent().path("logprobs").asBoolean()).isTrue();
  }

  // ------------------------------------------------------------------------------ mistral

  @Test
  void mistralGetsNoFieldOutsideItsSchemaAndStillReportsUsage() {
    stub.handler(
        r ->
            ChatStream.of("up-mistral")
                .role()
                .content("Bonjour")
                .finish("stop")
                .last(c -> c.set("usage", ChatStream.usageJson(8, 2))) // unasked, in the last chunk
                .done()
                .response());

    var s =
        p.stream(
            ask("mistral", "hi")
                .seed(42)
                .logprobs(true)
                .topLogprobs(1)
                .user("alice")
                .maxCompletionTokens(30)
                .logitBias(
                    ChatCompletionCreateParams.LogitBias.builder()
                        .putAdditionalProperty("1", JsonValue.from(5))
                        .build()));

    assertThat(s.content()).isEqualTo("Bonjour");
    assertThat(s.usage()).isNotNull();
    assertThat(s.requireUsage().promptTokens()).isEqualTo(8);
    JsonNode up = sent();
    for (String forbidden :
        List.of(
            "stream_options",
            "seed",
            "logprobs",
            "top_logprobs",
            "logit_bias",
            "user",
            "max_completion_tokens")) {
      assertThat(up.has(forbidden)).as(forbidden).isFalse();
    }
    assertThat(up.path("max_tokens").asInt()).isEqualTo(30);
  }

  @Test
  void mistralExtraForbidden422IsA400() {
    stub.handler(r -> Response.json(422, MISTRAL_422));
    var r =
        p.shelf.post(
            "/v1/chat/completions",
            "{\"model\": \"m-mistral\", \"top_k\": 40,"
                + " \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}");
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.json().path("error").path("type").asText()).isEqualTo("invalid_request_error");
    assertThat(stub.requests()).as("a client error is not retried").hasSize(1);
  }

  /** What Mistral answers to a field outside its schema: no "error" wrapper, message an object. */
  static final String MISTRAL_422 =
      "{\"object\": \"error\", \"message\": {\"detail\": [{\"type\": \"extra_forbidden\","
          + " \"loc\": [\"body\", \"top_k\"], \"msg\": \"Extra inputs are not permitted\","
          + " \"input\": 40}]}, \"type\": \"invalid_request_error\", \"param\": null, \"code\": null}";

  @Test
  void mistralExtraForbidden422SaysWhichFieldWasRefused() {
    stub.handler(r -> Response.json(422, MISTRAL_422));
    var r =
        p.shelf.post(
            "/v1/chat/completions",
            "{\"model\": \"m-mistral\", \"top_k\": 40,"
                + " \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}");
    assertThat(r.json().path("error").path("message").asText())
        .contains("Extra inputs are not permitted")
        .contains("top_k");
  }

  // ------------------------------------------------------------------------------ xai

  @Test
  void xaiDropsPenaltiesButKeepsStop() {
    create(ask("xai", "hi").presencePenalty(0.5).frequencyPenalty(0.3).stop("END"));
    assertThat(sent().has("presence_penalty")).isFalse();
    assertThat(sent().has("frequency_penalty")).isFalse();
    assertThat(sent().path("stop")).isEqualTo(OpenAiSdkTest.json("[\"END\"]"));
  }

  @Test
  void xaiUsageInTheSecondToLastChunkFollowedByAnEmptyChunk() {
    stub.handler(
        r ->
            ChatStream.of("up-xai")
                .role()
                .content("Grok")
                .finish("stop")
                .last(c -> c.set("usage", ChatStream.usageJson(13, 1)))
                .data(
                    "{\"id\": \"x\", \"object\": \"chat.completion.chunk\", \"created\": 1,"
                        + " \"model\": \"grok\", \"choices\": []}")
                .done()
                .response());

    var s = p.stream(ask("xai", "hi"));
    assertThat(s.content()).isEqualTo("Grok");
    assertThat(s.usage()).isNotNull();
    assertThat(s.requireUsage().promptTokens()).isEqualTo(13);
    assertThat(s.chunks().stream().filter(c -> c.usage().isPresent())).hasSize(1);
    ChatCompletion c = create(ask("xai", "hi"));
    assertThat(c.usage().orElseThrow().totalTokens()).isEqualTo(14);
  }

  // ------------------------------------------------------------------------------ local servers

  @ParameterizedTest
  @MethodSource("localPresets")
  void localServersNeedNoKeyAndGetNoAuthorizationHeader(String preset) {
    assertThat(PresetShelf.preset(preset).keyRequired()).isFalse();
    create(ask(preset, "hi"));
    assertThat(stub.onlyRequest().header("authorization")).isNull();
  }

  static Stream<String> localPresets() {
    return Stream.of("vllm", "sglang", "llamacpp", "ollama", "lmstudio");
  }

  @Test
  void vllmReadsReasoningFromTheReasoningField() {
    stub.handler(
        r ->
            ChatStream.of("up-vllm")
                .role()
                .reasoning("reasoning", "local thought")
                .content("local")
                .finish("stop")
                .usage(1, 1)
                .done()
                .response());
    var s = p.stream(ask("vllm", "hi"));
    assertThat(s.reasoning()).isEqualTo("local thought");
    assertThat(s.content()).isEqualTo("local");
  }

  @Test
  void sglangReadsReasoningContent() {
    stub.handler(
        r ->
            ChatStream.of("up-sglang")
                .role()
                .reasoning("reasoning_content", "sg thought")
                .content("sg")
                .finish("stop")
                .usage(1, 1)
                .done()
                .response());
    var s = p.stream(ask("sglang", "hi"));
    assertThat(s.reasoning()).isEqualTo("sg thought");
  }

  @Test
  void llamacppSendsMaxTokensAndAllowsOneChoice() {
    create(ask("llamacpp", "hi").maxCompletionTokens(12));
    assertThat(sent().path("max_tokens").asInt()).isEqualTo(12);
    assertThat(sent().has("max_completion_tokens")).isFalse();
    var e =
        catchThrowableOfType(BadRequestException.class, () -> create(ask("llamacpp", "hi").n(2)));
    assertThat(e.param()).contains("n");
  }

  @Test
  void ollamaDropsLogitBiasAndUserRelaxesToolChoiceAndReadsReasoning() {
    stub.handler(
        r ->
            ChatStream.of("up-ollama")
                .role()
                .reasoning("reasoning", "llama thinks")
                .content("done")
                .finish("stop")
                .usage(1, 1)
                .done()
                .response());
    var s =
        p.stream(
            ask("ollama", "hi")
                .user("bob")
                .logitBias(
                    ChatCompletionCreateParams.LogitBias.builder()
                        .putAdditionalProperty("1", JsonValue.from(5))
                        .build())
                .addFunctionTool(LOOKUP)
                .toolChoice(ChatCompletionToolChoiceOption.Auto.REQUIRED));
    assertThat(s.reasoning()).isEqualTo("llama thinks");
    assertThat(sent().has("user")).isFalse();
    assertThat(sent().has("logit_bias")).isFalse();
    assertThat(sent().path("tool_choice").asText()).isEqualTo("auto");
    assertThat(
            catchThrowableOfType(
                    OpenAIServiceException.class, () -> create(ask("ollama", "hi").n(2)))
                .statusCode())
        .isEqualTo(400);
  }

  @Test
  void lmstudioReadsReasoningContentAndKeepsToolChoiceRequired() {
    create(
        ask("lmstudio", "hi")
            .addFunctionTool(LOOKUP)
            .toolChoice(ChatCompletionToolChoiceOption.Auto.REQUIRED));
    assertThat(sent().path("tool_choice").asText()).isEqualTo("required");
  }
}
