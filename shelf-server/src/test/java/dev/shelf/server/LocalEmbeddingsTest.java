package dev.shelf.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.openai.client.OpenAIClient;
import com.openai.errors.BadRequestException;
import com.openai.errors.NotFoundException;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.Embedding;
import com.openai.models.embeddings.EmbeddingCreateParams;
import com.openai.models.embeddings.EmbeddingCreateParams.EncodingFormat;
import com.openai.models.models.Model;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.bgesmallzhv15.BgeSmallZhV15EmbeddingModel;
import dev.langchain4j.model.output.Response;
import dev.shelf.gateway.config.ConfigLoader;
import dev.shelf.gateway.config.ShelfConfig;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The bundled ONNX embedding models through the real server and the official SDK: batches, both
 * encodings, usage, errors, and the built-in defaults that put them on a fresh shelf.
 */
class LocalEmbeddingsTest {
  static final String MASTER = "sk-shelf-master-key-0123456789";
  static final double TOLERANCE = 1e-5;
  static final List<String> ENGLISH =
      List.of(
          "The cat sat on the mat.",
          "Embeddings turn sentences into vectors.",
          "Shelf is a model gateway that speaks the OpenAI API.");
  static final List<String> CHINESE = List.of("今天天气很好。", "机器学习是人工智能的一个分支。", "北京是中国的首都。");

  static ShelfHarness shelf;
  static OpenAIClient client;

  @BeforeAll
  static void start() {
    shelf =
        ShelfHarness.start(
            """
            server: {port: 0, access_log: false}
            auth: {master_key: %s}
            providers:
              embed: {type: onnx, options: {max_batch: 2}}
            models:
              - {id: minilm, provider: embed, upstream: all-minilm-l6-v2}
              - {id: bge-small-zh-v1.5, provider: embed}
              - {id: misnamed, provider: embed, upstream: bert-base-uncased}
            """
                .formatted(MASTER));
    client = shelf.sdk(MASTER);
  }

  @AfterAll
  static void stop() {
    shelf.close();
  }

  static EmbeddingCreateParams.Builder params(String model, List<String> input) {
    return EmbeddingCreateParams.builder().model(model).inputOfArrayOfStrings(input);
  }

  static float[] floats(Embedding e) {
    List<Float> list = e.embedding();
    float[] out = new float[list.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = list.get(i);
    }
    return out;
  }

  /** LangChain4j's class for the same model, one text at a time. */
  static Response<List<dev.langchain4j.data.embedding.Embedding>> reference(
      EmbeddingModel model, List<String> texts) {
    return model.embedAll(texts.stream().map(TextSegment::from).toList());
  }

  static void assertMatches(
      CreateEmbeddingResponse r, Response<List<dev.langchain4j.data.embedding.Embedding>> ref) {
    assertThat(r.data()).hasSize(ref.content().size());
    for (int i = 0; i < r.data().size(); i++) {
      Embedding e = r.data().get(i);
      assertThat(e.index()).isEqualTo(i);
      float[] got = floats(e);
      float[] want = ref.content().get(i).vector();
      assertThat(got).hasSameSizeAs(want);
      for (int j = 0; j < want.length; j++) {
        assertThat((double) got[j])
            .as("input %d, component %d", i, j)
            .isCloseTo(want[j], org.assertj.core.api.Assertions.within(TOLERANCE));
      }
    }
    int tokens = Objects.requireNonNull(Objects.requireNonNull(ref.tokenUsage()).inputTokenCount());
    assertThat(r.usage().promptTokens()).isEqualTo(tokens);
    assertThat(r.usage().totalTokens()).isEqualTo(tokens);
  }

  @Test
  void anEnglishBatchAsFloatsEqualsTheModelsOwnOutputWithItsTokenCount() {
    CreateEmbeddingResponse r =
        client
            .embeddings()
            .create(params("minilm", ENGLISH).encodingFormat(EncodingFormat.FLOAT).build());
    assertThat(r.model()).isEqualTo("minilm");
    assertThat(r.data()).allSatisfy(e -> assertThat(e.embeddingValue().isFloats()).isTrue());
    assertThat(floats(r.data().getFirst())).hasSize(384);
    assertMatches(r, reference(new AllMiniLmL6V2EmbeddingModel(), ENGLISH));
  }

  @Test
  void aChineseBatchAsBase64DecodesToTheSameFloats() {
    CreateEmbeddingResponse b64 =
        client
            .embeddings()
            .create(
                params("bge-small-zh-v1.5", CHINESE).encodingFormat(EncodingFormat.BASE64).build());
    CreateEmbeddingResponse flt =
        client
            .embeddings()
            .create(
                params("bge-small-zh-v1.5", CHINESE).encodingFormat(EncodingFormat.FLOAT).build());
    assertThat(b64.data()).allSatisfy(e -> assertThat(e.embeddingValue().isBase64()).isTrue());
    for (int i = 0; i < CHINESE.size(); i++) {
      assertThat(floats(b64.data().get(i))).containsExactly(floats(flt.data().get(i)));
    }
    assertThat(floats(b64.data().getFirst())).hasSize(512);
    assertMatches(b64, reference(new BgeSmallZhV15EmbeddingModel(), CHINESE));
  }

  @Test
  void anUnknownModelIsNotFound() {
    var e =
        catchThrowableOfType(
            NotFoundException.class,
            () -> client.embeddings().create(params("no-such-model", ENGLISH).build()));
    assertThat(e.statusCode()).isEqualTo(404);
    assertThat(e.code()).contains("model_not_found");
    assertThat(e.getMessage()).contains("no-such-model");
  }

  @Test
  void aShelfModelNamingNoBundledModelIsA400ThatListsThem() {
    var e =
        catchThrowableOfType(
            BadRequestException.class,
            () -> client.embeddings().create(params("misnamed", ENGLISH).build()));
    assertThat(e.statusCode()).isEqualTo(400);
    assertThat(e.code()).contains("model_not_found");
    assertThat(e.getMessage())
        .contains("bert-base-uncased", "all-minilm-l6-v2", "bge-small-zh-v1.5");
  }

  @Test
  void emptyInputIsA400NamingTheInput() {
    var one =
        catchThrowableOfType(
            BadRequestException.class,
            () ->
                client
                    .embeddings()
                    .create(EmbeddingCreateParams.builder().model("minilm").input("").build()));
    assertThat(one.statusCode()).isEqualTo(400);
    assertThat(one.param()).contains("input");
    var inList =
        catchThrowableOfType(
            BadRequestException.class,
            () -> client.embeddings().create(params("minilm", List.of("fine", "")).build()));
    assertThat(inList.param()).contains("input[1]");
    assertThat(inList.getMessage()).contains("must not be empty");
    var none =
        catchThrowableOfType(
            BadRequestException.class,
            () -> client.embeddings().create(params("minilm", List.of()).build()));
    assertThat(none.param()).contains("input");
  }

  @Test
  void otherDimensionsAreA400() {
    var e =
        catchThrowableOfType(
            BadRequestException.class,
            () -> client.embeddings().create(params("minilm", ENGLISH).dimensions(128).build()));
    assertThat(e.param()).contains("dimensions");
    assertThat(e.getMessage()).contains("384");
  }

  @Test
  void aChatRequestToAnEmbeddingModelIsA400ThatSaysSo() {
    var e =
        catchThrowableOfType(
            BadRequestException.class,
            () ->
                client
                    .chat()
                    .completions()
                    .create(
                        ChatCompletionCreateParams.builder()
                            .model("minilm")
                            .addUserMessage("Hello!")
                            .build()));
    assertThat(e.statusCode()).isEqualTo(400);
    assertThat(e.type()).contains("invalid_request_error");
    assertThat(e.getMessage()).contains("is an embedding model", "/v1/embeddings");
  }

  @Test
  void aFreshShelfWithNoFileServesBothModels() {
    ShelfConfig defaults = new ConfigLoader(Map.of()).defaults();
    try (var fresh =
        ShelfHarness.of(defaults.withServer(defaults.server().withHostPort("127.0.0.1", 0)))) {
      OpenAIClient c = fresh.sdk("any");
      assertThat(c.models().list().data())
          .extracting(Model::id)
          .contains("all-minilm-l6-v2", "bge-small-zh-v1.5");
      var raw = fresh.get("/v1/models?capability=embedding");
      assertThat(raw.status()).isEqualTo(200);
      assertThat(raw.json().path("data")).hasSize(2);
      CreateEmbeddingResponse r =
          c.embeddings().create(params("bge-small-zh-v1.5", List.of("你好")).build());
      assertThat(floats(r.data().getFirst())).hasSize(512);
      assertThat(r.usage().promptTokens()).isEqualTo(2);
    }
  }
}
