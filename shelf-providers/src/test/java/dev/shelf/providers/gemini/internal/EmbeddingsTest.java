package dev.shelf.providers.gemini.internal;

import static dev.shelf.providers.gemini.internal.GenerateContentRequestTest.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.shelf.api.EmbeddingRequest;
import dev.shelf.api.EmbeddingResponse;
import dev.shelf.providers.spi.ProviderException;
import dev.shelf.providers.spi.ProviderException.Kind;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/** OpenAI embeddings requests to {@code batchEmbedContents} and back. */
class EmbeddingsTest {
  private static final String ANSWER =
      "{'embeddings':[{'values':[0.25,-1.5,3.0]},{'values':[1.0,0.0,-0.125]}]}";

  static EmbeddingRequest request(String singleQuoted) {
    return EmbeddingRequest.read(json(singleQuoted));
  }

  @Test
  void oneRequestPerInputWithDimensionsAndTaskType() {
    var r =
        request(
            "{'model':'text-embedding-004','input':['a','b'],'dimensions':256,"
                + "'task_type':'RETRIEVAL_QUERY'}");
    assertThat(Embeddings.toBatchRequest(r, "models/text-embedding-004"))
        .isEqualTo(
            json(
                "{'requests':["
                    + "{'model':'models/text-embedding-004','content':{'parts':[{'text':'a'}]},"
                    + "'taskType':'RETRIEVAL_QUERY','outputDimensionality':256},"
                    + "{'model':'models/text-embedding-004','content':{'parts':[{'text':'b'}]},"
                    + "'taskType':'RETRIEVAL_QUERY','outputDimensionality':256}]}"));
    assertThat(Embeddings.toBatchRequest(request("{'model':'m','input':'one'}"), "models/m"))
        .isEqualTo(
            json("{'requests':[{'model':'models/m','content':{'parts':[{'text':'one'}]}}]}"));
  }

  @Test
  void tokenIdsAreRefused() {
    assertThatThrownBy(
            () -> Embeddings.toBatchRequest(request("{'model':'m','input':[1,2,3]}"), "models/m"))
        .isInstanceOfSatisfying(
            ProviderException.class,
            e -> {
              assertThat(e.kind()).isEqualTo(Kind.BAD_REQUEST);
              assertThat(e.param()).isEqualTo("input");
            });
  }

  @Test
  void floatsInOrderWithZeroUsage() {
    EmbeddingResponse r = Embeddings.fromBatchResponse("gemini", json(ANSWER), "emb", 2, false);
    assertThat(r.model()).isEqualTo("emb");
    assertThat(r.promptTokens()).as("Gemini reports no token usage").isZero();
    assertThat(r.data()).hasSize(2);
    assertThat(r.data().get(0).index()).isZero();
    assertThat(r.data().get(0).embedding()).isEqualTo(json("[0.25,-1.5,3.0]"));
    assertThat(r.data().get(1).index()).isEqualTo(1);
  }

  @Test
  void base64IsLittleEndianFloat32AsOpenAiEncodesIt() {
    EmbeddingResponse r = Embeddings.fromBatchResponse("gemini", json(ANSWER), "emb", 2, true);
    byte[] bytes = Base64.getDecoder().decode(r.data().get(1).embedding().asText());
    var floats = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
    assertThat(floats.remaining()).isEqualTo(3);
    assertThat(new float[] {floats.get(0), floats.get(1), floats.get(2)})
        .containsExactly(1.0f, 0.0f, -0.125f);
  }

  @Test
  void aCountMismatchIsABrokenAnswer() {
    assertThatThrownBy(() -> Embeddings.fromBatchResponse("gemini", json(ANSWER), "e", 3, false))
        .isInstanceOfSatisfying(
            ProviderException.class, e -> assertThat(e.kind()).isEqualTo(Kind.BROKEN_STREAM));
  }
}
