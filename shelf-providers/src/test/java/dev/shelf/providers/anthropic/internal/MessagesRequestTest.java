package dev.shelf.providers.anthropic.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shelf.api.ChatRequest;
import dev.shelf.api.ChatRequestCodec;
import dev.shelf.api.Json;
import dev.shelf.providers.spi.ProviderException;
import dev.shelf.providers.spi.ProviderException.Kind;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The canonical request (read from OpenAI JSON, as clients send it) to an Anthropic Messages body,
 * compared as exact JSON. Requests and expectations are written with {@code '} for {@code "}.
 */
class MessagesRequestTest {

  static JsonNode json(String singleQuoted) {
    return Json.parse(singleQuoted.replace('\'', '"').getBytes(StandardCharsets.UTF_8));
  }

  static ChatRequest request(String singleQuoted) {
    return ChatRequestCodec.read(json(singleQuoted));
  }

  static MessagesRequest.Translated translate(String singleQuoted) {
    return MessagesRequest.toMessagesRequest(request(singleQuoted), 4096);
  }

  static ObjectNode body(String singleQuoted) {
    return translate(singleQuoted).body();
  }

  private static final String HI = "{'role':'user','content':'hi'}";

  /** A request with one user message and the given extra top-level fields. */
  static ObjectNode withHi(String fields) {
    return body(
        "{'model':'claude','messages':[" + HI + "]" + (fields.isEmpty() ? "" : ",") + fields + "}");
  }

  static ProviderException rejected(String singleQuoted) {
    try {
      translate(singleQuoted);
    } catch (ProviderException e) {
      assertThat(e.kind()).isEqualTo(Kind.BAD_REQUEST);
      return e;
    }
    throw new AssertionError("expected a BAD_REQUEST for " + singleQuoted);
  }

  @Test
  void systemAndDeveloperMessagesBecomeTopLevelSystemBlocks() {
    ObjectNode body =
        body(
            "{'model':'claude-sonnet-4-5','messages':["
                + "{'role':'system','content':[{'type':'text','text':'You are terse.',"
                + "'cache_control':{'type':'ephemeral'}}]},"
                + "{'role':'developer','content':'Answer in French.'},"
                + "{'role':'user','content':'Hello'}]}");
    assertThat(body)
        .isEqualTo(
            json(
                "{'model':'claude-sonnet-4-5','max_tokens':4096,"
                    + "'system':[{'type':'text','text':'You are terse.',"
                    + "'cache_control':{'type':'ephemeral'}},"
                    + "{'type':'text','text':'Answer in French.'}],"
                    + "'messages':[{'role':'user','content':[{'type':'text','text':'Hello'}]}],"
                    + "'stream':true}"));
    assertThat(translate("{'model':'c','messages':[" + HI + "]}").jsonTool()).isFalse();
  }

  @Test
  void imagesFromDataUrlsAndHttpUrls() {
    ObjectNode body =
        body(
            "{'model':'c','messages':[{'role':'user','content':["
                + "{'type':'text','text':'What is in these?'},"
                + "{'type':'image_url','image_url':{'url':'data:image/png;base64,iVBORw0KGgo=',"
                + "'detail':'high'}},"
                + "{'type':'image_url','image_url':{'url':'https://example.com/cat.jpg'},"
                + "'cache_control':{'type':'ephemeral'}}]}]}");
    assertThat(body.get("messages"))
        .isEqualTo(
            json(
                "[{'role':'user','content':["
                    + "{'type':'text','text':'What is in these?'},"
                    + "{'type':'image','source':{'type':'base64','media_type':'image/png',"
                    + "'data':'iVBORw0KGgo='}},"
                    + "{'type':'image','source':{'type':'url','url':'https://example.com/cat.jpg'},"
                    + "'cache_control':{'type':'ephemeral'}}]}]"));
  }

  @Test
  void toolCallsAndToolResultsAndTheUserTextAfterThemShareOneTurn() {
    ObjectNode body =
        body(
            "{'model':'c','messages':["
                + "{'role':'user','content':'Weather in SF and Paris?'},"
                + "{'role':'assistant','content':'Checking.','tool_calls':["
                + "{'id':'toolu_1','type':'function','function':{'name':'get_weather',"
                + "'arguments':'{\\'city\\':\\'SF\\'}'}},"
                + "{'id':'toolu_2','type':'function','function':{'name':'get_weather',"
                + "'arguments':''}}]},"
                + "{'role':'tool','tool_call_id':'toolu_1','content':'15C'},"
                + "{'role':'tool','tool_call_id':'toolu_2','content':''},"
                + "{'role':'user','content':'And tomorrow?'}]}");
    assertThat(body.get("messages"))
        .isEqualTo(
            json(
                "[{'role':'user','content':[{'type':'text','text':'Weather in SF and Paris?'}]},"
                    + "{'role':'assistant','content':["
                    + "{'type':'text','text':'Checking.'},"
                    + "{'type':'tool_use','id':'toolu_1','name':'get_weather',"
                    + "'input':{'city':'SF'}},"
                    + "{'type':'tool_use','id':'toolu_2','name':'get_weather','input':{}}]},"
                    + "{'role':'user','content':["
                    + "{'type':'tool_result','tool_use_id':'toolu_1','content':'15C'},"
                    + "{'type':'tool_result','tool_use_id':'toolu_2'},"
                    + "{'type':'text','text':'And tomorrow?'}]}]"));
  }

  @Test
  void toolResultsComeFirstEvenWhenTheUserTextCameBefore() {
    ObjectNode body =
        body(
            "{'model':'c','messages':["
                + "{'role':'assistant','content':null,'tool_calls':[{'id':'t1','type':'function',"
                + "'function':{'name':'f','arguments':'{}'}}]},"
                + "{'role':'user','content':'note'},"
                + "{'role':'tool','tool_call_id':'t1','content':[{'type':'text','text':'ok'}]}]}");
    assertThat(body.get("messages").get(1))
        .isEqualTo(
            json(
                "{'role':'user','content':["
                    + "{'type':'tool_result','tool_use_id':'t1',"
                    + "'content':[{'type':'text','text':'ok'}]},"
                    + "{'type':'text','text':'note'}]}"));
  }

  @Test
  void consecutiveSameRoleTurnsAreMergedAndEmptyMessagesLeftOut() {
    ObjectNode body =
        body(
            "{'model':'c','messages':["
                + "{'role':'user','content':'a'},{'role':'user','content':''},"
                + "{'role':'user','content':'b'},"
                + "{'role':'assistant','content':'c'},{'role':'assistant','content':'d'},"
                + "{'role':'user','content':'e'}]}");
    assertThat(body.get("messages"))
        .isEqualTo(
            json(
                "[{'role':'user','content':[{'type':'text','text':'a'},{'type':'text','text':'b'}]},"
                    + "{'role':'assistant','content':[{'type':'text','text':'c'},"
                    + "{'type':'text','text':'d'}]},"
                    + "{'role':'user','content':[{'type':'text','text':'e'}]}]"));
  }

  @Test
  void aFinalAssistantPrefillLosesItsTrailingWhitespace() {
    ObjectNode body =
        body("{'model':'c','messages':[" + HI + ",{'role':'assistant','content':'Sure: \\n '}]}");
    assertThat(body.get("messages").get(1))
        .isEqualTo(json("{'role':'assistant','content':[{'type':'text','text':'Sure:'}]}"));
  }

  @Test
  void earlierThinkingBlocksAreSentBackWithTheirSignatures() {
    ObjectNode body =
        body(
            "{'model':'c','messages':["
                + HI
                + ",{'role':'assistant','content':'Hello',"
                + "'reasoning_content':'dropped',"
                + "'thinking_blocks':[{'type':'thinking','thinking':'hm','signature':'sig'}]},"
                + "{'role':'user','content':'again'}]}");
    assertThat(body.get("messages").get(1))
        .isEqualTo(
            json(
                "{'role':'assistant','content':["
                    + "{'type':'thinking','thinking':'hm','signature':'sig'},"
                    + "{'type':'text','text':'Hello'}]}"));
  }

  @Test
  void aPdfFilePartBecomesADocument() {
    ObjectNode body =
        body(
            "{'model':'c','messages':[{'role':'user','content':["
                + "{'type':'file','file':{'filename':'a.pdf',"
                + "'file_data':'data:application/pdf;base64,JVBERi0='}}]}]}");
    assertThat(body.at("/messages/0/content/0"))
        .isEqualTo(
            json(
                "{'type':'document','source':{'type':'base64',"
                    + "'media_type':'application/pdf','data':'JVBERi0='}}"));
  }

  @Test
  void toolsAreDeclaredWithInputSchemas() {
    ObjectNode body =
        withHi(
            "'tools':[{'type':'function','function':{'name':'get_weather',"
                + "'description':'Weather for a city','strict':true,"
                + "'parameters':{'type':'object','properties':{'city':{'type':'string'}},"
                + "'required':['city']}},'cache_control':{'type':'ephemeral'}},"
                + "{'type':'function','function':{'name':'now'}}]");
    assertThat(body.get("tools"))
        .isEqualTo(
            json(
                "[{'name':'get_weather','description':'Weather for a city',"
                    + "'input_schema':{'type':'object','properties':{'city':{'type':'string'}},"
                    + "'required':['city']},'cache_control':{'type':'ephemeral'}},"
                    + "{'name':'now','input_schema':{'type':'object','properties':{}}}]"));
    assertThat(body.has("tool_choice")).isFalse();
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '"',
      value = {
        "'auto'                                       |       | {'type':'auto'}",
        "'none'                                       |       | {'type':'none'}",
        "'required'                                   |       | {'type':'any'}",
        "{'type':'function','function':{'name':'f'}}  |       | {'type':'tool','name':'f'}",
        "'auto'                                       | false | {'type':'auto','disable_parallel_tool_use':true}",
        "'required'                                   | false | {'type':'any','disable_parallel_tool_use':true}",
        "{'type':'function','function':{'name':'f'}}  | false | {'type':'tool','name':'f','disable_parallel_tool_use':true}",
        "'none'                                       | false | {'type':'none'}",
        "                                             | false | {'type':'auto','disable_parallel_tool_use':true}",
        "'auto'                                       | true  | {'type':'auto'}"
      })
  void toolChoiceAndParallelToolCalls(String choice, String parallel, String expected) {
    String fields =
        "'tools':[{'type':'function','function':{'name':'f'}}]"
            + (choice == null ? "" : ",'tool_choice':" + choice)
            + (parallel == null ? "" : ",'parallel_tool_calls':" + parallel);
    assertThat(withHi(fields).get("tool_choice")).isEqualTo(json(expected));
  }

  @Test
  void samplingStopUserAndLimits() {
    ObjectNode body =
        withHi(
            "'stop':['END','###'],'temperature':1.5,'top_p':0.9,'top_k':40,"
                + "'max_tokens':100,'max_completion_tokens':200,'user':'user-42',"
                + "'seed':7,'presence_penalty':0.5,'frequency_penalty':0.5,'store':true");
    assertThat(body)
        .as("temperature clamped to Anthropic's 1; seed, penalties and store dropped")
        .isEqualTo(
            json(
                "{'model':'claude','max_tokens':200,"
                    + "'messages':[{'role':'user','content':[{'type':'text','text':'hi'}]}],"
                    + "'stop_sequences':['END','###'],'temperature':1.0,'top_p':0.9,'top_k':40,"
                    + "'metadata':{'user_id':'user-42'},'stream':true}"));
    assertThat(withHi("'stop':'END','max_tokens':50").get("stop_sequences"))
        .isEqualTo(json("['END']"));
    assertThat(withHi("'max_tokens':50").get("max_tokens").asInt()).isEqualTo(50);
    assertThat(
            MessagesRequest.toMessagesRequest(request("{'model':'c','messages':[" + HI + "]}"), 777)
                .body()
                .get("max_tokens")
                .asInt())
        .as("default_max_tokens applies when the client sets no limit")
        .isEqualTo(777);
  }

  @Test
  void jsonSchemaIsForcedThroughATool() {
    var t =
        translate(
            "{'model':'c','messages':["
                + HI
                + "],'response_format':{'type':'json_schema',"
                + "'json_schema':{'name':'person','description':'A person',"
                + "'schema':{'type':'object','properties':{'name':{'type':'string'}}}}}}");
    assertThat(t.jsonTool()).isTrue();
    assertThat(t.body().get("tools"))
        .isEqualTo(
            json(
                "[{'name':'json_response','description':'A person',"
                    + "'input_schema':{'type':'object','properties':{'name':{'type':'string'}}}}]"));
    assertThat(t.body().get("tool_choice"))
        .isEqualTo(json("{'type':'tool','name':'json_response'}"));
    assertThat(t.body().has("system")).isFalse();
  }

  @Test
  void jsonSchemaBesideClientToolsFallsBackToAnInstruction() {
    var t =
        translate(
            "{'model':'c','messages':["
                + HI
                + "],"
                + "'tools':[{'type':'function','function':{'name':'f'}}],"
                + "'response_format':{'type':'json_schema','json_schema':{'name':'x',"
                + "'schema':{'type':'object'}}}}");
    assertThat(t.jsonTool()).isFalse();
    assertThat(t.body().get("system"))
        .isEqualTo(
            json(
                "[{'type':'text','text':'"
                    + MessagesRequest.JSON_SCHEMA_INSTRUCTION
                    + "{\\'type\\':\\'object\\'}'}]"));
    assertThat(t.body().get("tools")).hasSize(1);
  }

  @Test
  void jsonObjectIsAnInstructionAfterTheSystemPrompt() {
    ObjectNode body =
        body(
            "{'model':'c','messages':[{'role':'system','content':'Be brief.'},"
                + HI
                + "],"
                + "'response_format':{'type':'json_object'}}");
    assertThat(body.get("system"))
        .isEqualTo(
            json(
                "[{'type':'text','text':'Be brief.'},"
                    + "{'type':'text','text':'"
                    + MessagesRequest.JSON_OBJECT_INSTRUCTION
                    + "'}]"));
    assertThat(withHi("'response_format':{'type':'text'}").has("system")).isFalse();
  }

  @ParameterizedTest
  @CsvSource({"low, 1024", "medium, 2048", "high, 4096"})
  void reasoningEffortBecomesAThinkingBudgetOnTopOfTheDefault(String effort, int budget) {
    ObjectNode body = withHi("'reasoning_effort':'" + effort + "'");
    assertThat(body.get("thinking"))
        .isEqualTo(json("{'type':'enabled','budget_tokens':" + budget + "}"));
    assertThat(body.get("max_tokens").asInt()).isEqualTo(4096 + budget);
    assertThat(body.has("reasoning_effort")).isFalse();
  }

  @Test
  void thinkingObjectPassesThroughAndWins() {
    ObjectNode body =
        withHi(
            "'thinking':{'type':'enabled','budget_tokens':3000},'reasoning_effort':'low',"
                + "'max_tokens':8000");
    assertThat(body.get("thinking")).isEqualTo(json("{'type':'enabled','budget_tokens':3000}"));
    assertThat(body.get("max_tokens").asInt()).isEqualTo(8000);
    assertThat(withHi("'reasoning_effort':'none'").has("thinking")).isFalse();
    assertThat(withHi("'reasoning_effort':'minimal'").has("thinking")).isFalse();
    assertThat(withHi("'thinking':{'type':'disabled'}").has("thinking")).isFalse();
  }

  @Test
  void thinkingRejectsAJsonToolAndFallsBackToTheInstruction() {
    var t =
        translate(
            "{'model':'c','messages':["
                + HI
                + "],'reasoning_effort':'low',"
                + "'response_format':{'type':'json_schema','json_schema':{'name':'x',"
                + "'schema':{'type':'object'}}}}");
    assertThat(t.jsonTool()).as("Anthropic forbids forced tools with thinking").isFalse();
    assertThat(t.body().has("tools")).isFalse();
    assertThat(t.body().path("system").size()).isEqualTo(1);
  }

  @Test
  void invalidRequestsFailFastNamingTheParameter() {
    String m = "{'model':'c','messages':[" + HI + "],";
    assertThat(rejected(m + "'reasoning_effort':'high','max_tokens':4096}").getMessage())
        .isEqualTo(
            "Invalid 'max_tokens': with thinking it must be greater than the thinking budget 4096"
                + " but was 4096.");
    assertThat(rejected(m + "'reasoning_effort':'extreme'}").param()).isEqualTo("reasoning_effort");
    assertThat(rejected(m + "'n':2}").getMessage())
        .isEqualTo("Invalid 'n': anthropic supports only n=1 but was 2.");
    assertThat(rejected(m + "'logprobs':true}").param()).isEqualTo("logprobs");
    assertThat(
            rejected(
                    "{'model':'c','messages':[{'role':'assistant','tool_calls':[{'id':'t',"
                        + "'type':'function','function':{'name':'f','arguments':'[1,2'}}]}]}")
                .param())
        .isEqualTo("messages[0].tool_calls[0].function.arguments");
    assertThat(
            rejected(
                    "{'model':'c','messages':[{'role':'user','content':[{'type':'image_url',"
                        + "'image_url':{'url':'data:image/png,abc'}}]}]}")
                .param())
        .isEqualTo("messages[0].content[0]");
    assertThat(
            rejected(
                    "{'model':'c','messages':[{'role':'user','content':[{'type':'input_audio',"
                        + "'input_audio':{'data':'x','format':'wav'}}]}]}")
                .getMessage())
        .isEqualTo(
            "Invalid 'messages[0].content[0].type': anthropic does not accept 'input_audio'"
                + " content.");
    assertThat(
            rejected(
                    "{'model':'c','messages':[{'role':'system','content':[{'type':'image_url',"
                        + "'image_url':{'url':'https://x/y.png'}}]},"
                        + HI
                        + "]}")
                .param())
        .isEqualTo("messages[0].content[0]");
  }

  @Test
  void translationIsPure() {
    String r =
        "{'model':'c','messages':["
            + HI
            + "],'tools':[{'type':'function','function':"
            + "{'name':'f'}}],'tool_choice':'required','reasoning_effort':'low'}";
    ChatRequest request = request(r);
    assertThat(MessagesRequest.toMessagesRequest(request, 4096).body())
        .isEqualTo(MessagesRequest.toMessagesRequest(request, 4096).body());
    assertThat(request.extra().get("reasoning_effort").asText())
        .as("the request is not changed")
        .isEqualTo("low");
  }
}
