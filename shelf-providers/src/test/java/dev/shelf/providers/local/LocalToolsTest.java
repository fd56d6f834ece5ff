package dev.shelf.providers.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shelf.api.ChatChunk;
import dev.shelf.api.ChatMessage;
import dev.shelf.api.ChatRequest;
import dev.shelf.api.Json;
import dev.shelf.providers.spi.Call;
import dev.shelf.providers.spi.ProviderException;
import dev.shelf.providers.testing.ScriptedModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tool calls from local models, end to end through the engine: {@link ScriptedModel} files that
 * answer with a call in each template's format (Qwen 2.5's {@code <tool_call>} blocks, Llama 3.2's
 * JSON, and the instructions Shelf writes for a file without a template), read back as OpenAI tool
 * calls, streamed, with {@code tool_choice} and {@code parallel_tool_calls} honoured.
 */
class LocalToolsTest {
  @TempDir static Path dir;
  static LocalProvider provider;

  static final List<String> HERMES_SCRIPT =
      List.of(
          "Let me check.",
          "<tool",
          "_call>",
          "\n{\"name\": \"get_weather\", ",
          "\"arguments\": {\"city\": \"Paris\"}}",
          "\n</tool_call>",
          "\n<tool_call>\n{\"name\": \"get_time\", \"arguments\": {}}\n</tool_call>");

  @BeforeAll
  static void start() throws IOException {
    String qwen = ScriptedModel.sharedTemplate("Qwen-Qwen2.5-7B-Instruct.jinja");
    String llama = ScriptedModel.sharedTemplate("meta-llama-Llama-3.2-3B-Instruct.jinja");
    ScriptedModel.write(dir.resolve("qwen.gguf"), qwen, HERMES_SCRIPT);
    ScriptedModel.write(dir.resolve("plain.gguf"), null, HERMES_SCRIPT);
    ScriptedModel.write(
        dir.resolve("llama.gguf"),
        llama,
        List.of("{\"name\": \"get_weather\", ", "\"parameters\": {\"city\": \"Paris\"}}"));
    ScriptedModel.write(
        dir.resolve("json.gguf"),
        null,
        List.of("{\"city\": \"Paris\"", ", \"country\": \"FR\"", "}"));
    ScriptedModel.write(
        dir.resolve("r1.gguf"),
        ScriptedModel.sharedTemplate("deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja"),
        List.of("The user asks about", " cats.", "</think>", "\n\n", "Cats purr."));
    ScriptedModel.write(
        dir.resolve("deepseek.gguf"),
        ScriptedModel.sharedTemplate("llama-cpp-deepseek-r1.jinja"),
        List.of(
            "Weather: use the tool.",
            "</think>",
            "\n\n",
            "<｜tool▁calls▁begin｜>",
            "<｜tool▁call▁begin｜>",
            "function",
            "<｜tool▁sep｜>",
            "get_weather",
            "\n```json\n",
            "{\"city\": \"Paris\"}",
            "\n```",
            "<｜tool▁call▁end｜>",
            "<｜tool▁calls▁end｜>"));
    ScriptedModel.write(
        dir.resolve("functionary.gguf"),
        ScriptedModel.sharedTemplate("meetkai-functionary-medium-v3.1.jinja"),
        List.of("Checking.", "<function=", "get_weather>", "{\"city\": \"Paris\"}", "</function>"));
    ScriptedModel.write(
        dir.resolve("functionary32.gguf"),
        ScriptedModel.sharedTemplate("meetkai-functionary-medium-v3.2.jinja"),
        List.of("all", "\nChecking.", ">>>", "get_weather\n", "{\"city\": \"Paris\"}"));
    // says only arguments: a call only when the prompt forced its opening
    ScriptedModel.write(dir.resolve("llama-args.gguf"), llama, List.of("{\"city\": \"Paris\"}}"));
    provider = new LocalProvider("local", dir, 2);
  }

  @AfterAll
  static void stop() {
    provider.close();
  }

  static final List<ChatRequest.Tool> TOOLS =
      List.of(
          new ChatRequest.Tool(
              "get_weather",
              "The weather in a city",
              Json.parse(
                  "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},\"required\":[\"city\"]}"
                      .getBytes(java.nio.charset.StandardCharsets.UTF_8)),
              null),
          new ChatRequest.Tool("get_time", "The time now", null, null));

  static ChatRequest request(
      String file,
      @Nullable List<ChatRequest.Tool> tools,
      @Nullable JsonNode toolChoice,
      @Nullable Boolean parallel) {
    return new ChatRequest(
        file,
        List.of(ChatMessage.of("user", "What is the weather in Paris?")),
        true,
        true,
        tools,
        toolChoice,
        parallel,
        null,
        null,
        null,
        64,
        0.0,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        Json.object());
  }

  /** What a stream said: its content, its calls (one delta each), its finish reason. */
  record Answer(String content, List<ChatChunk.ToolCallDelta> calls, @Nullable String finish) {}

  static Answer ask(ChatRequest r) {
    List<ChatChunk> chunks = new ArrayList<>();
    provider.chat(r, Call.unbounded("t"), chunks::add);
    StringBuilder content = new StringBuilder();
    List<ChatChunk.ToolCallDelta> calls = new ArrayList<>();
    String finish = null;
    int roles = 0;
    for (ChatChunk c : chunks) {
      for (ChatChunk.Choice ch : c.choices()) {
        if (ch.delta().role() != null) {
          roles++;
        }
        if (ch.delta().content() != null) {
          content.append(ch.delta().content());
        }
        if (ch.delta().toolCalls() != null) {
          calls.addAll(ch.delta().toolCalls());
        }
        if (ch.finishReason() != null) {
          finish = ch.finishReason();
        }
      }
    }
    assertThat(roles).as("the role comes once").isEqualTo(1);
    return new Answer(content.toString(), calls, finish);
  }

  @Test
  void aQwenModelsToolCallBlocksAreToolCallsAfterItsContent() {
    Answer a = ask(request("qwen.gguf", TOOLS, null, null));
    assertThat(a.content()).isEqualTo("Let me check.");
    assertThat(a.finish()).isEqualTo("tool_calls");
    assertThat(a.calls()).hasSize(2);
    ChatChunk.ToolCallDelta first = a.calls().get(0);
    assertThat(first.index()).isZero();
    assertThat(first.name()).isEqualTo("get_weather");
    assertThat(first.arguments()).isEqualTo("{\"city\":\"Paris\"}");
    assertThat(first.id()).matches("call_[A-Za-z0-9]{24}");
    assertThat(a.calls().get(1).index()).isEqualTo(1);
    assertThat(a.calls().get(1).name()).isEqualTo("get_time");
    assertThat(a.calls().get(1).arguments()).isEqualTo("{}");
    assertThat(a.calls().get(1).id()).isNotEqualTo(first.id());
  }

  @Test
  void parallelToolCallsFalseKeepsTheFirstCall() {
    Answer a = ask(request("qwen.gguf", TOOLS, null, false));
    assertThat(a.calls()).extracting(ChatChunk.ToolCallDelta::name).containsExactly("get_weather");
    assertThat(a.finish()).isEqualTo("tool_calls");
  }

  @Test
  void withoutToolsOrWithToolChoiceNoneTheSameTextIsContent() {
    String raw = String.join("", HERMES_SCRIPT);
    for (ChatRequest r :
        List.of(
            request("qwen.gguf", null, null, null),
            request("qwen.gguf", TOOLS, Json.NODES.textNode("none"), null))) {
      Answer a = ask(r);
      assertThat(a.calls()).isEmpty();
      assertThat(a.content()).isEqualTo(raw);
      assertThat(a.finish()).isEqualTo("stop");
    }
  }

  @Test
  void aFileWithoutATemplateIsToldTheToolsAndItsCallsAreRead() {
    LocalProvider.Loaded m = provider.model("plain.gguf");
    ChatPrompt prompt =
        ChatPrompt.of(request("plain.gguf", TOOLS, null, null), m.template(), m.path());
    assertThat(prompt.text())
        .startsWith("<|im_start|>system\n# Tools\n")
        .contains(
            "<tools>\n{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"description\":\"The weather in a city\"")
        .endsWith(
            "<|im_start|>user\nWhat is the weather in Paris?<|im_end|>\n<|im_start|>assistant\n");
    Answer a = ask(request("plain.gguf", TOOLS, null, null));
    assertThat(a.content()).isEqualTo("Let me check.");
    assertThat(a.calls())
        .extracting(ChatChunk.ToolCallDelta::name)
        .containsExactly("get_weather", "get_time");
  }

  @Test
  void aLlamaModelsJsonAnswerIsACall() {
    Answer a = ask(request("llama.gguf", TOOLS, null, null));
    assertThat(a.content()).isEmpty();
    assertThat(a.finish()).isEqualTo("tool_calls");
    assertThat(a.calls()).hasSize(1);
    assertThat(a.calls().getFirst().name()).isEqualTo("get_weather");
    assertThat(a.calls().getFirst().arguments()).isEqualTo("{\"city\":\"Paris\"}");
  }

  @Test
  void deepSeekAndFunctionaryCallsAreReadInTheirOwnFormats() {
    assertOneWeatherCall(ask(request("deepseek.gguf", TOOLS, null, null)), "");
    assertOneWeatherCall(ask(request("functionary.gguf", TOOLS, null, null)), "Checking.");
    assertOneWeatherCall(ask(request("functionary32.gguf", TOOLS, null, null)), "Checking.");
  }

  static void assertOneWeatherCall(Answer a, String content) {
    assertThat(a.content()).isEqualTo(content);
    assertThat(a.finish()).isEqualTo("tool_calls");
    assertThat(a.calls()).hasSize(1);
    assertThat(a.calls().getFirst().name()).isEqualTo("get_weather");
    assertThat(a.calls().getFirst().arguments()).isEqualTo("{\"city\":\"Paris\"}");
  }

  @Test
  void aNamedToolChoiceOpensTheCallInThePrompt() {
    JsonNode choice = Json.object().put("type", "function");
    ((com.fasterxml.jackson.databind.node.ObjectNode) choice)
        .putObject("function")
        .put("name", "get_weather");
    // unforced, the arguments alone are not a call
    Answer free = ask(request("llama-args.gguf", TOOLS, null, null));
    assertThat(free.calls()).isEmpty();
    assertThat(free.content()).isEqualTo("{\"city\": \"Paris\"}}");
    Answer forced = ask(request("llama-args.gguf", TOOLS, choice, null));
    assertThat(forced.calls()).hasSize(1);
    assertThat(forced.calls().getFirst().name()).isEqualTo("get_weather");
    assertThat(forced.calls().getFirst().arguments()).isEqualTo("{\"city\":\"Paris\"}");
    assertThat(forced.finish()).isEqualTo("tool_calls");
  }

  @Test
  void requiredConstrainsTheAnswerToACallOfOneOfTheTools() {
    Answer a = ask(request("llama.gguf", TOOLS, Json.NODES.textNode("required"), null));
    assertThat(a.calls()).hasSize(1);
    assertThat(a.calls().getFirst().name()).isEqualTo("get_weather");
    assertThat(a.calls().getFirst().arguments()).isEqualTo("{\"city\":\"Paris\"}");
    assertThat(a.finish()).isEqualTo("tool_calls");
  }

  static ChatRequest withFormat(ChatRequest r, ChatRequest.ResponseFormat format) {
    return new ChatRequest(
        r.model(),
        r.messages(),
        r.stream(),
        r.includeUsage(),
        r.tools(),
        r.toolChoice(),
        r.parallelToolCalls(),
        format,
        r.stop(),
        r.maxTokens(),
        r.maxCompletionTokens(),
        r.temperature(),
        r.topP(),
        r.seed(),
        r.n(),
        r.logprobs(),
        r.topLogprobs(),
        r.presencePenalty(),
        r.frequencyPenalty(),
        r.user(),
        r.extra());
  }

  static final JsonNode CITY_ONLY =
      Json.parse(
          ("{\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}},"
                  + " \"required\": [\"city\"], \"additionalProperties\": false}")
              .getBytes(java.nio.charset.StandardCharsets.UTF_8));

  @Test
  void responseFormatHoldsTheAnswerToItsSchema() {
    // unconstrained, the model adds a key the schema does not allow
    Answer free = ask(request("json.gguf", null, null, null));
    assertThat(free.content()).isEqualTo("{\"city\": \"Paris\", \"country\": \"FR\"}");
    Answer held =
        ask(
            withFormat(
                request("json.gguf", null, null, null),
                new ChatRequest.ResponseFormat("json_schema", "city", CITY_ONLY, true, null)));
    // the extra key is masked; the (degenerate) model can only close the object
    assertThat(Json.parse(held.content().getBytes(java.nio.charset.StandardCharsets.UTF_8)))
        .isEqualTo(Json.object().put("city", "Paris"));
    assertThat(held.finish()).isEqualTo("stop");
    Answer object =
        ask(
            withFormat(
                request("qwen.gguf", null, null, null),
                new ChatRequest.ResponseFormat("json_object", null, null, null, null)));
    // logprobs under a grammar are those of the raw logits, not of the masked ones
    ChatRequest scored =
        withFormat(
            request("json.gguf", null, null, null),
            new ChatRequest.ResponseFormat("json_schema", "city", CITY_ONLY, true, null));
    ChatRequest withLogprobs =
        new ChatRequest(
            scored.model(),
            scored.messages(),
            true,
            true,
            null,
            null,
            null,
            scored.responseFormat(),
            null,
            null,
            64,
            0.0,
            null,
            null,
            null,
            true,
            3,
            null,
            null,
            null,
            Json.object());
    List<ChatChunk> chunks = new ArrayList<>();
    provider.chat(withLogprobs, Call.unbounded("t"), chunks::add);
    List<Double> reported = new ArrayList<>();
    for (ChatChunk c : chunks) {
      for (ChatChunk.Choice ch : c.choices()) {
        if (ch.logprobs() != null) {
          ch.logprobs()
              .path("content")
              .forEach(
                  e -> {
                    reported.add(e.path("logprob").asDouble());
                    e.path("top_logprobs").forEach(t -> reported.add(t.path("logprob").asDouble()));
                  });
        }
      }
    }
    assertThat(reported).isNotEmpty().allMatch(l -> l <= 0 && l > -1000);
    // the model's text, held to an object: its words become a key
    assertThat(object.content()).startsWith("{").contains("\"Let me check.");
  }

  @Test
  void otherServersSchemaFieldsHoldTheAnswerTooInChatAndCompletions() {
    ChatRequest llamaCpp = request("json.gguf", null, null, null);
    llamaCpp.extra().set("json_schema", CITY_ONLY);
    assertThat(
            Json.parse(ask(llamaCpp).content().getBytes(java.nio.charset.StandardCharsets.UTF_8)))
        .isEqualTo(Json.object().put("city", "Paris"));
    // vLLM's guided_json as JSON text, on /v1/completions
    dev.shelf.api.CompletionRequest vllm =
        new dev.shelf.api.CompletionRequest(
            "json.gguf",
            Json.NODES.textNode("Where?"),
            true,
            true,
            64,
            0.0,
            null,
            null,
            Json.object());
    vllm.extra().put("guided_json", CITY_ONLY.toString());
    List<dev.shelf.api.CompletionChunk> chunks = new ArrayList<>();
    provider.completion(vllm, Call.unbounded("t"), chunks::add);
    StringBuilder text = new StringBuilder();
    for (var c : chunks) {
      for (var ch : c.choices()) {
        text.append(ch.text());
      }
    }
    assertThat(Json.parse(text.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8)))
        .isEqualTo(Json.object().put("city", "Paris"));
  }

  @Test
  void aSchemaThatCannotBeEnforcedIsABadRequest() {
    JsonNode allOf =
        Json.parse(
            "{\"allOf\": [{\"type\": \"object\"}]}"
                .getBytes(java.nio.charset.StandardCharsets.UTF_8));
    assertThatThrownBy(
            () ->
                ask(
                    withFormat(
                        request("json.gguf", null, null, null),
                        new ChatRequest.ResponseFormat("json_schema", "x", allOf, true, null))))
        .isInstanceOfSatisfying(
            ProviderException.class,
            e -> {
              assertThat(e.kind()).isEqualTo(ProviderException.Kind.BAD_REQUEST);
              assertThat(e.param()).isEqualTo("response_format");
              assertThat(e.getMessage()).contains("'allOf' at #");
            });
  }

  @Test
  void aReasoningModelsThinkingIsReasoningAndTheRestContent() {
    List<ChatChunk> chunks = new ArrayList<>();
    provider.chat(request("r1.gguf", null, null, null), Call.unbounded("t"), chunks::add);
    StringBuilder reasoning = new StringBuilder();
    StringBuilder content = new StringBuilder();
    for (ChatChunk c : chunks) {
      for (ChatChunk.Choice ch : c.choices()) {
        if (ch.delta().reasoning() != null) {
          reasoning.append(ch.delta().reasoning());
        }
        if (ch.delta().content() != null) {
          content.append(ch.delta().content());
        }
      }
    }
    assertThat(reasoning.toString()).isEqualTo("The user asks about cats.");
    assertThat(content.toString()).isEqualTo("Cats purr.");
    // reasoning_format none: the text as the model wrote it (the prompt opened the thinking)
    ChatRequest raw = request("r1.gguf", null, null, null);
    raw.extra().put("reasoning_format", "none");
    assertThat(ask(raw).content()).isEqualTo("The user asks about cats.</think>\n\nCats purr.");
  }

  @Test
  void badToolChoicesAreBadRequestsNamingTheParameter() {
    JsonNode unknown = Json.object().put("type", "function");
    ((com.fasterxml.jackson.databind.node.ObjectNode) unknown)
        .putObject("function")
        .put("name", "get_stock");
    for (var r :
        List.of(
            request("qwen.gguf", TOOLS, unknown, null),
            request("qwen.gguf", TOOLS, Json.NODES.textNode("always"), null),
            request("qwen.gguf", null, Json.NODES.textNode("required"), null))) {
      assertThatThrownBy(() -> ask(r))
          .isInstanceOfSatisfying(
              ProviderException.class,
              e -> {
                assertThat(e.kind()).isEqualTo(ProviderException.Kind.BAD_REQUEST);
                assertThat(e.param()).isEqualTo("tool_choice");
              });
    }
  }
}
