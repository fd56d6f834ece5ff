package dev.shelf.api;

import static dev.shelf.api.TestJson.json;
import static dev.shelf.api.TestJson.sameJson;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shelf.api.ChatMessage.ContentPart;
import dev.shelf.api.ChatMessage.ToolCall;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class ChatRequestCodecTest {
  private static final String USER = "{'role':'user','content':'hi'}";
  private static final String TOOLS =
      "'tools':[{'type':'function','function':{'name':'get_weather','parameters':{'type':'object'}}}]";

  private static String body(String fields) {
    return "{'model':'m','messages':[" + USER + "]" + (fields.isEmpty() ? "" : "," + fields) + "}";
  }

  static Stream<Arguments> invalid() {
    return Stream.of(
        // body and model
        Arguments.of(
            "[1]", "body", "Invalid type for 'body': expected an object, but got an array."),
        Arguments.of(
            "{'messages':[" + USER + "]}", "model", "Missing required parameter: 'model'."),
        Arguments.of("{'model':' ','messages':[" + USER + "]}", "model", "must not be empty"),
        Arguments.of(
            "{'model':7,'messages':[" + USER + "]}",
            "model",
            "Invalid type for 'model': expected a string, but got an integer."),
        // messages
        Arguments.of("{'model':'m'}", "messages", "Missing required parameter: 'messages'."),
        Arguments.of("{'model':'m','messages':null}", "messages", "Missing required parameter"),
        Arguments.of(
            "{'model':'m','messages':[]}",
            "messages",
            "Invalid 'messages': empty array. Expected an array with minimum length 1."),
        Arguments.of(
            "{'model':'m','messages':'hi'}",
            "messages",
            "Invalid type for 'messages': expected an array, but got a string."),
        Arguments.of(
            "{'model':'m','messages':[" + USER + ",{'role':'robot','content':'x'}]}",
            "messages[1].role",
            "Invalid value: 'robot'."),
        Arguments.of(
            "{'model':'m','messages':[{'content':'x'}]}",
            "messages[0].role",
            "Missing required parameter: 'messages[0].role'."),
        Arguments.of(
            "{'model':'m','messages':[" + USER + ",'hello']}",
            "messages[1]",
            "Invalid type for 'messages[1]': expected an object, but got a string."),
        Arguments.of(
            "{'model':'m','messages':[" + USER + ",{'role':'tool','content':'42'}]}",
            "messages[1].tool_call_id",
            "Missing required parameter: 'messages[1].tool_call_id'."),
        Arguments.of(
            "{'model':'m','messages':[{'role':'user'}]}",
            "messages[0].content",
            "Missing required parameter: 'messages[0].content'."),
        Arguments.of(
            "{'model':'m','messages':[{'role':'user','content':42}]}",
            "messages[0].content",
            "expected a string or an array, but got an integer."),
        Arguments.of(
            "{'model':'m','messages':[{'role':'user','content':[{'type':'text'}]}]}",
            "messages[0].content[0].text",
            "Missing required parameter"),
        Arguments.of(
            "{'model':'m','messages':[{'role':'user','content':[{'type':'text','text':'a'},"
                + "{'type':'image_url'}]}]}",
            "messages[0].content[1].image_url",
            "Missing required parameter: 'messages[0].content[1].image_url'."),
        Arguments.of(
            "{'model':'m','messages':[{'role':'assistant','tool_calls':[{'id':'c1'}]}]}",
            "messages[0].tool_calls[0].function",
            "Missing required parameter"),
        Arguments.of(
            "{'model':'m','messages':[{'role':'assistant','tool_calls':"
                + "[{'id':'c1','function':{'arguments':'{}'}}]}]}",
            "messages[0].tool_calls[0].function.name",
            "Missing required parameter"),
        // sampling parameters: range and type
        Arguments.of(body("'temperature':2.5"), "temperature", "2.5 is out of range"),
        Arguments.of(
            body("'temperature':-0.1"), "temperature", "expected a value between 0 and 2."),
        Arguments.of(
            body("'temperature':'hot'"),
            "temperature",
            "Invalid type for 'temperature': expected a number, but got a string."),
        Arguments.of(body("'temperature':true"), "temperature", "but got a boolean."),
        Arguments.of(body("'top_p':1.01"), "top_p", "expected a value between 0 and 1."),
        Arguments.of(body("'presence_penalty':-3"), "presence_penalty", "between -2 and 2"),
        Arguments.of(body("'frequency_penalty':2.5"), "frequency_penalty", "between -2 and 2"),
        Arguments.of(body("'max_tokens':0"), "max_tokens", "0 is out of range"),
        Arguments.of(
            body("'max_tokens':1.5"),
            "max_tokens",
            "Invalid type for 'max_tokens': expected an integer, but got a decimal."),
        Arguments.of(body("'max_completion_tokens':-1"), "max_completion_tokens", "out of range"),
        Arguments.of(body("'n':0"), "n", "expected a value between 1 and 128."),
        Arguments.of(body("'n':129"), "n", "129 is out of range"),
        Arguments.of(body("'seed':99999999999999999999"), "seed", "is out of range"),
        Arguments.of(body("'stream':'yes'"), "stream", "expected a boolean, but got a string."),
        Arguments.of(body("'user':5"), "user", "expected a string"),
        // stop
        Arguments.of(
            body("'stop':['a','b','c','d','e']"),
            "stop",
            "Expected an array with maximum length 4, but got an array with length 5 instead."),
        Arguments.of(body("'stop':['a',1]"), "stop[1]", "expected a string, but got an integer."),
        Arguments.of(body("'stop':3"), "stop", "expected a string or an array of strings"),
        // tools and tool_choice
        Arguments.of(
            body(TOOLS + ",'tool_choice':{'type':'function','function':{'name':'get_time'}}"),
            "tool_choice",
            "tool 'get_time' is not among 'tools'."),
        Arguments.of(
            body("'tool_choice':{'type':'function','function':{'name':'get_time'}}"),
            "tool_choice",
            "tool 'get_time' is not among"),
        Arguments.of(
            body("'tool_choice':'required'"),
            "tool_choice",
            "'tool_choice' is only allowed when 'tools' are specified."),
        Arguments.of(body(TOOLS + ",'tool_choice':'sometimes'"), "tool_choice", "'sometimes'"),
        Arguments.of(
            body(TOOLS + ",'tool_choice':{'type':'function'}"),
            "tool_choice.function",
            "Missing required parameter: 'tool_choice.function'."),
        Arguments.of(
            body("'tools':[{'type':'retrieval'}]"),
            "tools[0].type",
            "Supported values are: 'function'."),
        Arguments.of(
            body("'tools':[{'type':'function','function':{'name':'get weather'}}]"),
            "tools[0].function.name",
            "string does not match pattern"),
        Arguments.of(
            body("'tools':[{'type':'function','function':{'name':'f','parameters':[]}}]"),
            "tools[0].function.parameters",
            "expected an object, but got an array."),
        Arguments.of(body("'tools':{}"), "tools", "expected an array, but got an object."),
        // response_format
        Arguments.of(
            body("'response_format':{'type':'json_schema','json_schema':{'schema':{}}}"),
            "response_format.json_schema.name",
            "Missing required parameter: 'response_format.json_schema.name'."),
        Arguments.of(
            body("'response_format':{'type':'json_schema'}"),
            "response_format.json_schema",
            "Missing required parameter: 'response_format.json_schema'."),
        Arguments.of(
            body("'response_format':{'type':'json_schema','json_schema':{'name':'x','schema':1}}"),
            "response_format.json_schema.schema",
            "expected an object"),
        Arguments.of(
            body("'response_format':{'type':'xml'}"),
            "response_format.type",
            "Invalid value: 'xml'."),
        Arguments.of(body("'response_format':'json'"), "response_format", "expected an object"),
        // stream_options and logprobs
        Arguments.of(
            body("'stream_options':{'include_usage':true}"),
            "stream_options",
            "The 'stream_options' parameter is only allowed when 'stream' is enabled."),
        Arguments.of(
            body("'stream':false,'stream_options':{'include_usage':true}"),
            "stream_options",
            "only allowed when 'stream' is enabled"),
        Arguments.of(
            body("'stream':true,'stream_options':{'include_usage':1}"),
            "stream_options.include_usage",
            "expected a boolean"),
        Arguments.of(
            body("'top_logprobs':3"),
            "top_logprobs",
            "Invalid 'top_logprobs': 'logprobs' must be set to true."),
        Arguments.of(body("'logprobs':false,'top_logprobs':3"), "top_logprobs", "must be set"),
        Arguments.of(
            body("'logprobs':true,'top_logprobs':21"), "top_logprobs", "between 0 and 20"));
  }

  @ParameterizedTest(name = "[{index}] {1}")
  @MethodSource("invalid")
  void invalidRequestsNameTheParameter(String body, String param, String message) {
    ApiException e =
        catchThrowableOfType(ApiException.class, () -> ChatRequestCodec.read(json(body)));
    assertThat(e).as("no exception for %s", body).isNotNull();
    assertThat(e.param()).isEqualTo(param);
    assertThat(e.getMessage()).contains(message);
    assertThat(e.status()).isEqualTo(400);
    assertThat(e.type()).isEqualTo("invalid_request_error");
  }

  @Test
  void readsTypedFieldsAndNormalises() {
    ChatRequest r =
        ChatRequestCodec.read(
            json(
                "{'model':'gpt-4o','messages':["
                    + "{'role':'system','content':'be brief'},"
                    + "{'role':'user','content':[{'type':'text','text':'what is '},"
                    + "{'type':'image_url','image_url':'https://x/cat.png'},"
                    + "{'type':'image_url','image_url':{'url':'data:image/png;base64,AA','detail':'low'}}]},"
                    + "{'role':'assistant','content':null,'tool_calls':[{'id':'call_1','type':'function',"
                    + "'function':{'name':'get_weather','arguments':{'city':'Paris'}}}]},"
                    + "{'role':'tool','tool_call_id':'call_1','content':'sunny'}],"
                    + TOOLS
                    + ",'tool_choice':{'type':'function','function':{'name':'get_weather'}},"
                    + "'stream':true,'stream_options':{'include_usage':true},"
                    + "'stop':'END','max_tokens':2.0,'temperature':0,'top_p':1,"
                    + "'logprobs':true,'top_logprobs':0,'seed':-7}"));
    assertThat(r.model()).isEqualTo("gpt-4o");
    assertThat(r.stream()).isTrue();
    assertThat(r.includeUsage()).isTrue();
    assertThat(r.stop()).containsExactly("END");
    assertThat(r.maxTokens()).isEqualTo(2);
    assertThat(r.outputLimit()).isEqualTo(2);
    assertThat(r.temperature()).isEqualTo(0.0);
    assertThat(r.topP()).isEqualTo(1.0);
    assertThat(r.seed()).isEqualTo(-7L);
    assertThat(r.topLogprobs()).isEqualTo(0);
    assertThat(r.choices()).isEqualTo(1);
    assertThat(r.extra()).isEmpty();
    assertThat(r.messages())
        .extracting(ChatMessage::role)
        .containsExactly("system", "user", "assistant", "tool");
    assertThat(r.messages().get(1).parts())
        .containsExactly(
            new ContentPart.Text("what is "),
            new ContentPart.Image("https://x/cat.png", null),
            new ContentPart.Image("data:image/png;base64,AA", "low"));
    assertThat(r.messages().get(1).textContent()).isEqualTo("what is ");
    ChatMessage assistant = r.messages().get(2);
    assertThat(assistant.text()).isNull();
    assertThat(assistant.toolCalls())
        .containsExactly(new ToolCall("call_1", "get_weather", "{\"city\":\"Paris\"}"));
    assertThat(r.messages().get(3).toolCallId()).isEqualTo("call_1");
    assertThat(r.tools())
        .singleElement()
        .satisfies(t -> assertThat(t.name()).isEqualTo("get_weather"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"none", "auto", "required"})
  void toolChoiceStringsAreAcceptedWithTools(String choice) {
    ChatRequest r = ChatRequestCodec.read(json(body(TOOLS + ",'tool_choice':'" + choice + "'")));
    assertThat(Objects.requireNonNull(r.toolChoice()).textValue()).isEqualTo(choice);
  }

  @Test
  void toolChoiceNoneNeedsNoTools() {
    ChatRequest r = ChatRequestCodec.read(json(body("'tool_choice':'none'")));
    assertThat(Objects.requireNonNull(r.toolChoice()).textValue()).isEqualTo("none");
    assertThat(r.tools()).isNull();
  }

  @Test
  void nullFieldsCountAsAbsent() {
    ChatRequest r =
        ChatRequestCodec.read(
            json(body("'temperature':null,'stop':null,'stream_options':null,'top_logprobs':null")));
    assertThat(r.temperature()).isNull();
    assertThat(r.stop()).isNull();
    assertThat(r.includeUsage()).isFalse();
  }

  private static final String FULL =
      """
      {
        'model': 'qwen-plus',
        'messages': [
          {'role': 'system', 'content': 'sys', 'cache_control': {'type': 'ephemeral'}},
          {'role': 'user', 'content': [
            {'type': 'text', 'text': 'look'},
            {'type': 'image_url', 'image_url': {'url': 'https://x/a.png', 'detail': 'high'}},
            {'type': 'input_audio', 'input_audio': {'data': 'AAAA', 'format': 'wav'}}
          ], 'name': 'ann'},
          {'role': 'assistant', 'content': null, 'reasoning_content': 'hmm', 'tool_calls': [
            {'id': 'call_9', 'type': 'function', 'function': {'name': 'f', 'arguments': '{}'}}
          ], 'prefix': true},
          {'role': 'tool', 'content': 'ok', 'tool_call_id': 'call_9'},
          {'role': 'assistant', 'content': 'no', 'refusal': 'cannot'}
        ],
        'stream': true,
        'stream_options': {'include_usage': true},
        'tools': [{'type': 'function', 'function': {'name': 'f', 'description': 'does f',
          'parameters': {'type': 'object', 'properties': {}}, 'strict': true}}],
        'tool_choice': 'auto',
        'parallel_tool_calls': false,
        'response_format': {'type': 'json_schema', 'json_schema': {'name': 'out',
          'description': 'the output', 'schema': {'type': 'object'}, 'strict': true}},
        'stop': ['a', 'b'],
        'max_tokens': 100,
        'max_completion_tokens': 200,
        'temperature': 0.7,
        'top_p': 0.9,
        'seed': 42,
        'n': 2,
        'logprobs': true,
        'top_logprobs': 5,
        'presence_penalty': -1.5,
        'frequency_penalty': 1.25,
        'user': 'u-1',
        'enable_thinking': false,
        'metadata': {'trace': [1, 2, {'x': null}]},
        'top_k': 20
      }
      """;

  @Test
  void roundTripPreservesEveryFieldIncludingUnknownOnes() {
    JsonNode in = json(FULL);
    ChatRequest r = ChatRequestCodec.read(in);
    assertThat(TestJson.names(r.extra()))
        .containsExactlyInAnyOrder("enable_thinking", "metadata", "top_k");
    assertThat(TestJson.names(Objects.requireNonNull(r.messages().get(0).extra())))
        .containsExactly("cache_control");
    assertThat(TestJson.names(Objects.requireNonNull(r.messages().get(2).extra())))
        .containsExactly("prefix");
    assertThat(r.messages().get(1).extra()).isNull();

    ObjectNode out = ChatRequestCodec.write(r);
    assertThat(sameJson(out, in)).as("written %s%nread    %s", out, in).isTrue();
    // Typed fields come first, pass-through fields after them.
    List<String> names = TestJson.names(out);
    assertThat(names.subList(0, 2)).containsExactly("model", "messages");
    assertThat(names.subList(names.size() - 3, names.size()))
        .containsExactly("enable_thinking", "metadata", "top_k");
    // And again through bytes: reading what we wrote gives the same canonical request.
    assertThat(ChatRequestCodec.read(Json.parse(Json.bytes(out)))).isEqualTo(r);
  }

  @Test
  void writeOmitsUnsetFields() {
    ChatRequest r = ChatRequestCodec.read(json(body("")));
    assertThat(Json.string(ChatRequestCodec.write(r)))
        .isEqualTo("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
  }

  @Test
  void writeMessageWithoutContentWritesNull() {
    ChatMessage m =
        new ChatMessage(
            "assistant",
            null,
            null,
            null,
            List.of(new ToolCall("c", "f", "{}")),
            null,
            null,
            null,
            null);
    assertThat(Json.string(ChatRequestCodec.writeMessage(m)))
        .isEqualTo(
            "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"c\",\"type\":"
                + "\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]}");
  }

  /**
   * Fuzz: mutate a full valid request at random places (replace a value with one of another type,
   * delete a key, add a key). The reader must either accept it, in which case write→read is
   * idempotent, or reject it with a 400 naming a parameter; never any other exception.
   */
  @ParameterizedTest
  @ValueSource(longs = {1L, 2L, 3L, 42L})
  void fuzzMutatedBodiesFailOnlyWithApiExceptions(long seed) {
    var rnd = new Random(seed);
    JsonNode base = json(FULL);
    int accepted = 0;
    for (int i = 0; i < 2000; i++) {
      JsonNode doc = base.deepCopy();
      int mutations = 1 + rnd.nextInt(3);
      for (int k = 0; k < mutations; k++) {
        mutate(doc, rnd);
      }
      ChatRequest r;
      try {
        r = ChatRequestCodec.read(doc);
      } catch (ApiException e) {
        assertThat(e.status()).as("%s", doc).isEqualTo(400);
        assertThat(e.param()).as("%s -> %s", doc, e.getMessage()).isNotNull();
        continue;
      } catch (RuntimeException e) {
        throw new AssertionError("unexpected " + e + " for " + doc, e);
      }
      accepted++;
      ChatRequest again = ChatRequestCodec.read(Json.parse(Json.bytes(ChatRequestCodec.write(r))));
      assertThat(again).as("%s", doc).isEqualTo(r);
    }
    assertThat(accepted).as("the fuzzer should also produce valid requests").isGreaterThan(50);
  }

  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  private static JsonNode randomValue(Random rnd) {
    return switch (rnd.nextInt(12)) {
      case 0 -> F.nullNode();
      case 1 -> F.booleanNode(rnd.nextBoolean());
      case 2 -> F.numberNode(rnd.nextInt(300) - 100);
      case 3 -> F.numberNode(rnd.nextDouble() * 4 - 2);
      case 4 -> F.numberNode(new java.math.BigInteger("123456789012345678901234567890"));
      case 5 -> F.textNode("");
      case 6 ->
          F.textNode(
              List.of("user", "tool", "auto", "none", "json_schema", "f").get(rnd.nextInt(6)));
      case 7 -> F.arrayNode();
      case 8 -> F.arrayNode().add("x").add(1);
      case 9 -> F.objectNode();
      case 10 ->
          F.objectNode().put("type", "function").set("function", F.objectNode().put("name", "f"));
      default -> F.numberNode(1e300);
    };
  }

  private static void mutate(JsonNode root, Random rnd) {
    // Walk down a random path, then change something there.
    JsonNode node = root;
    for (int depth = 0; depth < 6; depth++) {
      List<JsonNode> kids = new ArrayList<>();
      node.elements().forEachRemaining(kids::add);
      var containers = kids.stream().filter(JsonNode::isContainerNode).toList();
      if (containers.isEmpty() || rnd.nextInt(3) == 0) {
        break;
      }
      node = containers.get(rnd.nextInt(containers.size()));
    }
    if (node instanceof ObjectNode o) {
      List<String> keys = TestJson.names(o);
      int op = rnd.nextInt(3);
      if (op == 0 && !keys.isEmpty()) {
        o.remove(keys.get(rnd.nextInt(keys.size())));
      } else if (op == 1 && !keys.isEmpty()) {
        o.set(keys.get(rnd.nextInt(keys.size())), randomValue(rnd));
      } else {
        String[] names = {"role", "content", "type", "name", "stream", "tools", "x_extra", "n"};
        o.set(names[rnd.nextInt(names.length)], randomValue(rnd));
      }
    } else if (node instanceof ArrayNode a) {
      if (!a.isEmpty() && rnd.nextBoolean()) {
        a.set(rnd.nextInt(a.size()), randomValue(rnd));
      } else if (!a.isEmpty() && rnd.nextBoolean()) {
        a.remove(rnd.nextInt(a.size()));
      } else {
        a.add(randomValue(rnd));
      }
    }
  }

  @Test
  void readMessageIsUsableOnItsOwn() {
    assertThatThrownBy(
            () -> ChatRequestCodec.readMessage(json("{'role':'tool','content':'x'}"), "m"))
        .isInstanceOfSatisfying(
            ApiException.class, e -> assertThat(e.param()).isEqualTo("m.tool_call_id"));
  }
}
