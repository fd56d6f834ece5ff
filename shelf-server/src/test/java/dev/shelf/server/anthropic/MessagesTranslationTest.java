package dev.shelf.server.anthropic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shelf.api.ApiException;
import dev.shelf.api.ChatCompletion;
import dev.shelf.api.ChatMessage;
import dev.shelf.api.ChatRequest;
import dev.shelf.api.ChatRequestCodec;
import dev.shelf.api.Json;
import dev.shelf.api.Usage;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Messages requests to canonical requests, and canonical answers to Messages JSON. */
class MessagesTranslationTest {
  private static ChatRequest read(String json) {
    return MessagesRequest.read(Json.parse(json.replace('\'', '"').getBytes()), false);
  }

  private static JsonNode openAi(ChatRequest r) {
    return ChatRequestCodec.write(r);
  }

  @Test
  void systemImagesToolUseAndResultsBecomeChatMessagesInOrder() {
    ChatRequest r =
        read(
            """
            {'model': 'm', 'max_tokens': 50, 'system': [{'type': 'text', 'text': 'Be kind.'}],
             'stop_sequences': ['END'], 'temperature': 0.5, 'top_k': 40,
             'metadata': {'user_id': 'u-1'},
             'messages': [
              {'role': 'user', 'content': [
                {'type': 'text', 'text': 'What is this?', 'cache_control': {'type': 'ephemeral'}},
                {'type': 'image', 'source': {'type': 'base64', 'media_type': 'image/png',
                                             'data': 'iVBO'}}]},
              {'role': 'assistant', 'content': [
                {'type': 'thinking', 'thinking': 'hmm', 'signature': 'sig'},
                {'type': 'tool_use', 'id': 't1', 'name': 'look', 'input': {'q': 1}}]},
              {'role': 'user', 'content': [
                {'type': 'tool_result', 'tool_use_id': 't1', 'content': 'a cat',
                 'is_error': true},
                {'type': 'text', 'text': 'And now?'}]}]}
            """);
    JsonNode o = openAi(r);
    assertThat(o.path("max_tokens").asInt()).isEqualTo(50);
    assertThat(o.path("stop").get(0).asText()).isEqualTo("END");
    assertThat(o.path("top_k").asInt()).isEqualTo(40);
    assertThat(o.path("user").asText()).isEqualTo("u-1");
    JsonNode m = o.path("messages");
    assertThat(m.size()).isEqualTo(5);
    assertThat(m.at("/0/role").asText()).isEqualTo("system");
    assertThat(m.at("/0/content").asText()).isEqualTo("Be kind.");
    assertThat(m.at("/1/content/0/cache_control/type").asText()).isEqualTo("ephemeral");
    assertThat(m.at("/1/content/1/image_url/url").asText()).isEqualTo("data:image/png;base64,iVBO");
    assertThat(m.at("/2/role").asText()).isEqualTo("assistant");
    assertThat(m.at("/2/reasoning_content").asText()).isEqualTo("hmm");
    assertThat(m.at("/2/tool_calls/0/function/arguments").asText()).isEqualTo("{\"q\":1}");
    assertThat(m.at("/3/role").asText()).isEqualTo("tool");
    assertThat(m.at("/3/tool_call_id").asText()).isEqualTo("t1");
    assertThat(m.at("/3/content").asText()).isEqualTo("Error: a cat");
    assertThat(m.at("/4/content").asText()).isEqualTo("And now?");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "{'type': 'auto'} | '\"auto\"'",
        "{'type': 'any'} | '\"required\"'",
        "{'type': 'none'} | '\"none\"'",
        "{'type': 'tool', 'name': 'look'} | '{\"type\":\"function\",\"function\":{\"name\":\"look\"}}'"
      })
  void toolChoices(String choice, String expected) {
    ChatRequest r =
        read(
            "{'model': 'm', 'max_tokens': 5, 'messages': [{'role': 'user', 'content': 'x'}],"
                + " 'tools': [{'name': 'look', 'input_schema': {'type': 'object'}}],"
                + " 'tool_choice': "
                + choice
                + "}");
    assertThat(Json.string(openAi(r).path("tool_choice"))).isEqualTo(expected);
    assertThat(openAi(r).at("/tools/0/function/parameters/type").asText()).isEqualTo("object");
  }

  @Test
  void disablingParallelToolUseSetsParallelToolCallsFalse() {
    ChatRequest r =
        read(
            "{'model': 'm', 'max_tokens': 5, 'messages': [{'role': 'user', 'content': 'x'}],"
                + " 'tools': [{'name': 'look', 'input_schema': {'type': 'object'}}],"
                + " 'tool_choice': {'type': 'auto', 'disable_parallel_tool_use': true}}");
    assertThat(r.parallelToolCalls()).isFalse();
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "{'model': 'm', 'messages': [{'role': 'user', 'content': 'x'}]} | max_tokens",
        "{'model': 'm', 'max_tokens': 5, 'messages': []} | messages",
        "{'model': 'm', 'max_tokens': 5, 'messages': [{'role': 'system', 'content': 'x'}]}"
            + " | messages.0.role",
        "{'model': 'm', 'max_tokens': 5, 'messages': [{'role': 'user'}]} | messages.0.content",
        "{'model': 'm', 'max_tokens': 5, 'messages': [{'role': 'user', 'content': 'x'}],"
            + " 'temperature': 1.5} | temperature",
        "{'model': 'm', 'max_tokens': 5, 'messages': [{'role': 'user', 'content': 'x'}],"
            + " 'tools': [{'name': 't'}]} | tools.0.input_schema",
        "{'model': 'm', 'max_tokens': 5, 'messages': [{'role': 'user', 'content': [{'type':"
            + " 'image', 'source': {'type': 'file'}}]}]} | messages.0.content.0.source.type",
      })
  void invalidRequestsName(String json, String param) {
    assertThatThrownBy(() -> read(json))
        .isInstanceOfSatisfying(
            ApiException.class,
            e -> {
              assertThat(e.status()).isEqualTo(400);
              assertThat(e.param()).isEqualTo(param);
            });
  }

  @Test
  void countingNeedsNoMaxTokens() {
    ChatRequest r =
        MessagesRequest.read(
            Json.parse(
                "{\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": \"x\"}]}"
                    .getBytes()),
            true);
    assertThat(r.maxTokens()).isNull();
  }

  @Test
  void anAnswerBecomesAMessageWithThinkingTextAndToolUse() throws Exception {
    var message =
        new ChatMessage(
            "assistant",
            "Let me look.",
            null,
            null,
            List.of(
                new ChatMessage.ToolCall("c1", "look", "{\"q\":1}"),
                new ChatMessage.ToolCall("c2", "look", "not json")),
            null,
            "thinking...",
            null,
            null);
    var answer =
        new ChatCompletion(
            "x",
            1,
            "m",
            null,
            List.of(new ChatCompletion.Choice(0, message, "tool_calls", null)),
            null);
    JsonNode out =
        Json.MAPPER.readTree(MessagesOut.message(answer, "msg_1", "m", new Usage(10, 5, 4, null)));
    assertThat(out.path("type").asText()).isEqualTo("message");
    assertThat(out.at("/content/0/type").asText()).isEqualTo("thinking");
    assertThat(out.at("/content/1/text").asText()).isEqualTo("Let me look.");
    assertThat(out.at("/content/2/input/q").asInt()).isEqualTo(1);
    assertThat(out.at("/content/3/input/_raw").asText()).isEqualTo("not json");
    assertThat(out.path("stop_reason").asText()).isEqualTo("tool_use");
    assertThat(out.at("/usage/input_tokens").asInt()).isEqualTo(6);
    assertThat(out.at("/usage/cache_read_input_tokens").asInt()).isEqualTo(4);
    assertThat(out.at("/usage/output_tokens").asInt()).isEqualTo(5);
  }

  @ParameterizedTest
  @CsvSource({
    "stop,end_turn",
    "length,max_tokens",
    "tool_calls,tool_use",
    "content_filter,refusal",
    "weird,end_turn"
  })
  void stopReasons(String finish, String expected) {
    assertThat(MessagesOut.stopReason(finish)).isEqualTo(expected);
  }

  @ParameterizedTest
  @CsvSource({
    "400,invalid_request_error",
    "401,authentication_error",
    "403,permission_error",
    "404,not_found_error",
    "413,request_too_large",
    "429,rate_limit_error",
    "502,api_error",
    "503,overloaded_error",
    "504,api_error"
  })
  void errorTypes(int status, String type) {
    assertThat(MessagesOut.errorType(status)).isEqualTo(type);
  }
}
