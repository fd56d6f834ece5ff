package dev.shelf.providers.gemini.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
 * The canonical request (read from OpenAI JSON, as clients send it) to a Gemini {@code
 * GenerateContentRequest}, compared as exact JSON. Requests and expectations are written with
 * {@code '} for {@code "}.
 */
class GenerateContentRequestTest {

  static JsonNode json(String singleQuoted) {
    return Json.parse(singleQuoted.replace('\'', '"').getBytes(StandardCharsets.UTF_8));
  }

  static ChatRequest request(String singleQuoted) {
    return ChatRequestCodec.read(json(singleQuoted));
  }

  static ObjectNode body(String singleQuoted) {
    return GenerateContentRequest.toGenerateContent(request(singleQuoted), null);
  }

  private static final String HI = "{'role':'user','content':'hi'}";
  private static final String HI_CONTENTS = "'contents':[{'role':'user','parts':[{'text':'hi'}]}]";

  /** A request with one user message and the given extra top-level fields. */
  static ObjectNode withHi(String fields) {
    return body(
        "{'model':'g','messages':[" + HI + "]" + (fields.isEmpty() ? "" : ",") + fields + "}");
  }

  static ProviderException rejected(String singleQuoted) {
    try {
      body(singleQuoted);
    } catch (ProviderException e) {
      assertThat(e.kind()).isEqualTo(Kind.BAD_REQUEST);
      return e;
    }
    throw new AssertionError("expected a BAD_REQUEST for " + singleQuoted);
  }

  @Test
  void systemMessagesBecomeSystemInstructionAndRolesMapToUserAndModel() {
    assertThat(
            body(
                "{'model':'gemini-2.5-flash','messages':["
                    + "{'role':'system','content':'You are terse.'},"
                    + "{'role':'user','content':'Hello'},"
                    + "{'role':'user','content':[{'type':'text','text':'Still there?'}]},"
                    + "{'role':'assistant','content':'Yes.'},"
                    + "{'role':'developer','content':'Answer in French.'},"
                    + "{'role':'user','content':'Why?'}]}"))
        .as("consecutive user turns merge; the developer message joins the system instruction")
        .isEqualTo(
            json(
                "{'contents':["
                    + "{'role':'user','parts':[{'text':'Hello'},{'text':'Still there?'}]},"
                    + "{'role':'model','parts':[{'text':'Yes.'}]},"
                    + "{'role':'user','parts':[{'text':'Why?'}]}],"
                    + "'systemInstruction':{'parts':[{'text':'You are terse.'},"
                    + "{'text':'Answer in French.'}]}}"));
  }

  @Test
  void imagesFromDataUrlsAndHttpUrlsAudioAndFiles() {
    assertThat(
            body(
                "{'model':'g','messages':[{'role':'user','content':["
                    + "{'type':'text','text':'Compare'},"
                    + "{'type':'image_url','image_url':{'url':'data:image/png;base64,iVBORw0KGgo=',"
                    + "'detail':'high'}},"
                    + "{'type':'image_url','image_url':{'url':'https://example.com/cat.webp?v=2'}},"
                    + "{'type':'input_audio','input_audio':{'data':'UklGRg==','format':'mp3'}},"
                    + "{'type':'file','file':{'file_data':'data:application/pdf;base64,JVBERi0='}}"
                    + "]}]}"))
        .isEqualTo(
            json(
                "{'contents':[{'role':'user','parts':[{'text':'Compare'},"
                    + "{'inlineData':{'mimeType':'image/png','data':'iVBORw0KGgo='}},"
                    + "{'fileData':{'mimeType':'image/webp',"
                    + "'fileUri':'https://example.com/cat.webp?v=2'}},"
                    + "{'inlineData':{'mimeType':'audio/mp3','data':'UklGRg=='}},"
                    + "{'inlineData':{'mimeType':'application/pdf','data':'JVBERi0='}}]}]}"));
    assertThat(GenerateContentRequest.guessMimeType("https://x/y/photo")).isEqualTo("image/jpeg");
  }

  @Test
  void toolCallsAndResultsBecomeFunctionCallAndFunctionResponseParts() {
    assertThat(
            body(
                "{'model':'g','messages':["
                    + "{'role':'user','content':'Weather in SF and Paris?'},"
                    + "{'role':'assistant','content':null,'tool_calls':["
                    + "{'id':'call_a','type':'function','function':{'name':'get_weather',"
                    + "'arguments':'{\\'city\\':\\'SF\\'}'}},"
                    + "{'id':'call_b','type':'function','function':{'name':'get_time',"
                    + "'arguments':''}}]},"
                    + "{'role':'tool','tool_call_id':'call_a','content':'{\\'temp\\':18}'},"
                    + "{'role':'tool','tool_call_id':'call_b','content':'noon'},"
                    + "{'role':'user','content':'Thanks'}]}"))
        .as("results join one user content (text after them); JSON results are parsed")
        .isEqualTo(
            json(
                "{'contents':["
                    + "{'role':'user','parts':[{'text':'Weather in SF and Paris?'}]},"
                    + "{'role':'model','parts':["
                    + "{'functionCall':{'name':'get_weather','args':{'city':'SF'}}},"
                    + "{'functionCall':{'name':'get_time','args':{}}}]},"
                    + "{'role':'user','parts':["
                    + "{'functionResponse':{'name':'get_weather','response':{'result':{'temp':18}}}},"
                    + "{'functionResponse':{'name':'get_time','response':{'result':'noon'}}},"
                    + "{'text':'Thanks'}]}]}"));
  }

  @Test
  void aToolResultForAnUnknownCallIdIsRefusedNamingIt() {
    ProviderException e =
        rejected(
            "{'model':'g','messages':["
                + HI
                + ",{'role':'tool','tool_call_id':'x','content':'1'}]}");
    assertThat(e.param()).isEqualTo("messages[1].tool_call_id");
    assertThat(e.getMessage()).contains("'x'");
    assertThat(
            rejected(
                    "{'model':'g','messages':[{'role':'assistant','tool_calls':[{'id':'c',"
                        + "'type':'function','function':{'name':'f','arguments':'[1]'}}]}]}")
                .param())
        .isEqualTo("messages[0].tool_calls[0].function.arguments");
  }

  @Test
  void toolsBecomeFunctionDeclarationsWithConvertedSchemas() {
    assertThat(
            withHi(
                "'tools':[{'type':'function','function':{'name':'get_weather',"
                    + "'description':'Weather now','strict':true,'parameters':{"
                    + "'$schema':'http://json-schema.org/draft-07/schema#','type':'object',"
                    + "'additionalProperties':false,"
                    + "'properties':{'city':{'type':'string','format':'uri'},"
                    + "'unit':{'type':['string','null'],'enum':['c','f',null]}},"
                    + "'required':['city','nope']}}},"
                    + "{'type':'function','function':{'name':'now','parameters':"
                    + "{'type':'object','properties':{}}}}],"
                    + "'tool_choice':'required'"))
        .isEqualTo(
            json(
                "{"
                    + HI_CONTENTS
                    + ",'tools':[{'functionDeclarations':["
                    + "{'name':'get_weather','description':'Weather now','parameters':{"
                    + "'type':'object','properties':{'city':{'type':'string'},"
                    + "'unit':{'enum':['c','f'],'type':'string','nullable':true}},"
                    + "'required':['city']}},"
                    + "{'name':'now'}]}],"
                    + "'toolConfig':{'functionCallingConfig':{'mode':'ANY'}}}"));
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "\"auto\"                                              | {'mode':'AUTO'}",
        "\"none\"                                              | {'mode':'NONE'}",
        "\"required\"                                          | {'mode':'ANY'}",
        "{'type':'function','function':{'name':'get_weather'}} | "
            + "{'mode':'ANY','allowedFunctionNames':['get_weather']}",
      })
  void toolChoice(String choice, String expected) {
    assertThat(GenerateContentRequest.functionCalling(json(choice))).isEqualTo(json(expected));
  }

  @Test
  void generationConfigCarriesSamplingLimitsAndJsonMode() {
    assertThat(
            withHi(
                "'temperature':1.5,'top_p':0.9,'top_k':40,'max_completion_tokens':256,"
                    + "'stop':['END','STOP'],'n':2,'seed':7,'presence_penalty':0.5,"
                    + "'frequency_penalty':-0.5,'response_format':{'type':'json_object'},"
                    + "'user':'u-1','parallel_tool_calls':false"))
        .isEqualTo(
            json(
                "{"
                    + HI_CONTENTS
                    + ",'generationConfig':{'stopSequences':['END','STOP'],'candidateCount':2,"
                    + "'maxOutputTokens':256,'temperature':1.5,'topP':0.9,'topK':40,'seed':7,"
                    + "'presencePenalty':0.5,'frequencyPenalty':-0.5,"
                    + "'responseMimeType':'application/json'}}"));
  }

  @Test
  void jsonSchemaBecomesAResponseSchema() {
    assertThat(
            withHi(
                "'response_format':{'type':'json_schema','json_schema':{'name':'person',"
                    + "'strict':true,'schema':{'type':'object','additionalProperties':false,"
                    + "'properties':{'name':{'type':'string'},"
                    + "'address':{'$ref':'#/$defs/Address'},"
                    + "'age':{'anyOf':[{'type':'integer'},{'type':'null'}]}},"
                    + "'required':['name','address','age'],"
                    + "'$defs':{'Address':{'type':'object','properties':{"
                    + "'city':{'type':'string','description':'City'}},'required':['city']}}}}}"))
        .isEqualTo(
            json(
                "{"
                    + HI_CONTENTS
                    + ",'generationConfig':{'responseMimeType':'application/json',"
                    + "'responseSchema':{'type':'object','properties':{"
                    + "'name':{'type':'string'},"
                    + "'address':{'type':'object','properties':{'city':{'type':'string',"
                    + "'description':'City'}},'required':['city']},"
                    + "'age':{'type':'integer','nullable':true}},"
                    + "'required':['name','address','age']}}}"));
  }

  @ParameterizedTest
  @CsvSource({"none, 0", "minimal, 128", "low, 1024", "medium, 8192", "high, 24576"})
  void reasoningEffortBecomesAThinkingBudget(String effort, int budget) {
    JsonNode g = withHi("'reasoning_effort':'" + effort + "'").get("generationConfig");
    assertThat(g.get("thinkingConfig"))
        .isEqualTo(
            json("{'thinkingBudget':" + budget + ",'includeThoughts':" + (budget > 0) + "}"));
  }

  @Test
  void aGeminiThinkingConfigAndSafetySettingsPassAsGiven() {
    ObjectNode body =
        withHi(
            "'thinking_config':{'thinkingLevel':'low','includeThoughts':true},"
                + "'safety_settings':[{'category':'HARM_CATEGORY_HARASSMENT',"
                + "'threshold':'BLOCK_NONE'}]");
    assertThat(body.get("generationConfig"))
        .isEqualTo(json("{'thinkingConfig':{'thinkingLevel':'low','includeThoughts':true}}"));
    assertThat(body.get("safetySettings"))
        .isEqualTo(json("[{'category':'HARM_CATEGORY_HARASSMENT','threshold':'BLOCK_NONE'}]"));
    JsonNode configured = json("[{'category':'HARM_CATEGORY_HATE_SPEECH','threshold':'OFF'}]");
    assertThat(
            GenerateContentRequest.toGenerateContent(
                    request("{'model':'g','messages':[" + HI + "]}"), configured)
                .get("safetySettings"))
        .as("the provider's configured settings apply when the request has none")
        .isEqualTo(configured);
  }

  @Test
  void whatGeminiCannotTakeIsRefusedNamingTheParameter() {
    assertThat(rejected("{'model':'g','messages':[" + HI + "],'logprobs':true}").param())
        .isEqualTo("logprobs");
    assertThat(rejected("{'model':'g','messages':[" + HI + "],'seed':4294967296}").getMessage())
        .isEqualTo("Invalid 'seed': gemini takes a 32-bit seed but was 4294967296.");
    assertThat(rejected("{'model':'g','messages':[" + HI + "],'reasoning_effort':'max'}").param())
        .isEqualTo("reasoning_effort");
    assertThat(
            rejected(
                    "{'model':'g','messages':[{'role':'system','content':[{'type':'image_url',"
                        + "'image_url':{'url':'https://x/a.png'}}]}]}")
                .param())
        .isEqualTo("messages[0].content[0]");
    assertThat(
            rejected(
                    "{'model':'g','messages':[{'role':'user','content':[{'type':'image_url',"
                        + "'image_url':{'url':'data:image/png,raw'}}]}]}")
                .param())
        .isEqualTo("messages[0].content[0]");
  }

  @ParameterizedTest
  @CsvSource({
    "gemini-2.5-flash, models/gemini-2.5-flash",
    "models/gemini-2.5-pro, models/gemini-2.5-pro",
    "tunedModels/my-model-7, tunedModels/my-model-7",
  })
  void modelPaths(String model, String path) {
    assertThat(GenerateContentRequest.modelPath(model)).isEqualTo(path);
  }

  @Test
  void aModelNameThatWouldChangeTheUrlIsRefused() {
    assertThatThrownBy(() -> GenerateContentRequest.modelPath("x:generateContent?key=1"))
        .isInstanceOfSatisfying(
            ProviderException.class, e -> assertThat(e.param()).isEqualTo("model"));
    assertThatThrownBy(() -> GenerateContentRequest.modelPath("../files"))
        .isInstanceOf(ProviderException.class);
  }
}
