package dev.shelf.api;

import static dev.shelf.api.TestJson.json;
import static dev.shelf.api.TestJson.sameJson;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class CompletionAndEmbeddingRequestTest {

  static Stream<Arguments> invalidCompletions() {
    return Stream.of(
        Arguments.of("{'prompt':'hi'}", "model", "Missing required parameter: 'model'."),
        Arguments.of("{'model':'m'}", "prompt", "Missing required parameter: 'prompt'."),
        Arguments.of("{'model':'m','prompt':null}", "prompt", "Missing required parameter"),
        Arguments.of(
            "{'model':'m','prompt':5}",
            "prompt",
            "Invalid type for 'prompt': expected a string or an array, but got an integer."),
        Arguments.of(
            "{'model':'m','prompt':'p','stream_options':{'include_usage':true}}",
            "stream_options",
            "only allowed when 'stream' is enabled"),
        Arguments.of(
            "{'model':'m','prompt':'p','stream':true,'stream_options':[]}",
            "stream_options",
            "expected an object"),
        Arguments.of("{'model':'m','prompt':'p','temperature':2.1}", "temperature", "out of range"),
        Arguments.of("{'model':'m','prompt':'p','top_p':'x'}", "top_p", "expected a number"),
        Arguments.of("{'model':'m','prompt':'p','n':0}", "n", "between 1 and 128"),
        Arguments.of("{'model':'m','prompt':'p','max_tokens':-1}", "max_tokens", "out of range"),
        Arguments.of("{'model':'m','prompt':'p','stream':1}", "stream", "expected a boolean"));
  }

  @ParameterizedTest(name = "[{index}] {1}")
  @MethodSource("invalidCompletions")
  void invalidCompletionRequests(String body, String param, String message) {
    ApiException e =
        catchThrowableOfType(ApiException.class, () -> CompletionRequest.read(json(body)));
    assertThat(e).as("no exception for %s", body).isNotNull();
    assertThat(e.param()).isEqualTo(param);
    assertThat(e.getMessage()).contains(message);
    assertThat(e.status()).isEqualTo(400);
  }

  @Test
  void completionRoundTripKeepsUnknownFields() {
    var in =
        json(
            "{'model':'m','prompt':[[1,2],[3]],'stream':true,'stream_options':{'include_usage':true},"
                + "'max_tokens':0,'temperature':1.5,'top_p':0.5,'n':3,'echo':true,'suffix':'!'}");
    CompletionRequest r = CompletionRequest.read(in);
    assertThat(r.maxTokens()).as("max_tokens 0 is allowed for completions (echo)").isZero();
    assertThat(r.includeUsage()).isTrue();
    assertThat(r.n()).isEqualTo(3);
    assertThat(TestJson.names(r.extra())).containsExactlyInAnyOrder("echo", "suffix");
    assertThat(sameJson(r.write(), in)).as("%s", r.write()).isTrue();
    assertThat(r.withModel("up").write().get("model").textValue()).isEqualTo("up");
  }

  static Stream<Arguments> invalidEmbeddings() {
    return Stream.of(
        Arguments.of("{'input':'x'}", "model", "Missing required parameter: 'model'."),
        Arguments.of("{'model':'m'}", "input", "Missing required parameter: 'input'."),
        Arguments.of("{'model':'m','input':''}", "input", "string must not be empty"),
        Arguments.of("{'model':'m','input':[]}", "input", "empty array"),
        Arguments.of(
            "{'model':'m','input':['a',true]}",
            "input[1]",
            "Invalid type for 'input[1]': expected a string or token ids, but got a boolean."),
        Arguments.of("{'model':'m','input':['a',1.5]}", "input[1]", "but got a decimal"),
        Arguments.of("{'model':'m','input':{}}", "input", "expected a string or an array"),
        Arguments.of(
            "{'model':'m','input':'x','encoding_format':'hex'}",
            "encoding_format",
            "Invalid value: 'hex'."),
        Arguments.of("{'model':'m','input':'x','dimensions':0}", "dimensions", "out of range"),
        Arguments.of("{'model':'m','input':'x','dimensions':65537}", "dimensions", "out of range"),
        Arguments.of("{'model':'m','input':'x','user':[]}", "user", "expected a string"),
        Arguments.of("'x'", "body", "expected an object"));
  }

  @ParameterizedTest(name = "[{index}] {1}")
  @MethodSource("invalidEmbeddings")
  void invalidEmbeddingRequests(String body, String param, String message) {
    ApiException e =
        catchThrowableOfType(ApiException.class, () -> EmbeddingRequest.read(json(body)));
    assertThat(e).as("no exception for %s", body).isNotNull();
    assertThat(e.param()).isEqualTo(param);
    assertThat(e.getMessage()).contains(message);
    assertThat(e.status()).isEqualTo(400);
  }

  @Test
  void tooManyEmbeddingInputs() {
    var input = new StringBuilder("[");
    for (int i = 0; i < 2049; i++) {
      input.append(i == 0 ? "" : ",").append("'a'");
    }
    ApiException e =
        catchThrowableOfType(
            ApiException.class,
            () -> EmbeddingRequest.read(json("{'model':'m','input':" + input + "]}")));
    assertThat(e.param()).isEqualTo("input");
    assertThat(e.getMessage()).contains("Expected at most 2048 inputs.");
    // 2048 is fine.
    String ok = input.substring(0, input.length() - 4) + "]";
    assertThat(EmbeddingRequest.read(json("{'model':'m','input':" + ok + "}")).inputCount())
        .isEqualTo(2048);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '"',
      value = {
        "'hello'          | 1",
        "['a','b','c']    | 3",
        "[1,2,3]          | 1",
        "[[1,2],[3],[4]]  | 3"
      })
  void inputCount(String input, int count) {
    EmbeddingRequest r =
        EmbeddingRequest.read(
            json(
                "{'model':'m','input':"
                    + input
                    + ",'encoding_format':'base64','dimensions':256,"
                    + "'user':'u','input_type':'query'}"));
    assertThat(r.inputCount()).isEqualTo(count);
    assertThat(r.encodingFormat()).isEqualTo("base64");
    assertThat(r.dimensions()).isEqualTo(256);
    assertThat(TestJson.names(r.extra())).containsExactly("input_type");
    assertThat(
            sameJson(
                r.write(),
                json(
                    "{'model':'m','input':"
                        + input
                        + ",'encoding_format':"
                        + "'base64','dimensions':256,'user':'u','input_type':'query'}")))
        .isTrue();
  }
}
