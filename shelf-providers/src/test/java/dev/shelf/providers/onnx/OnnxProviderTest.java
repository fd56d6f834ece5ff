package dev.shelf.providers.onnx;

import static dev.shelf.providers.onnx.OnnxTesting.embed;
import static dev.shelf.providers.onnx.OnnxTesting.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.shelf.api.ChatRequestCodec;
import dev.shelf.api.CompletionRequest;
import dev.shelf.api.EmbeddingRequest;
import dev.shelf.api.Json;
import dev.shelf.providers.spi.Call;
import dev.shelf.providers.spi.ProviderException;
import dev.shelf.providers.spi.ProviderException.Kind;
import dev.shelf.providers.spi.ProviderFactory;
import dev.shelf.providers.spi.ProviderSpec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

/** Requests the onnx provider refuses, and how it is found and configured. */
class OnnxProviderTest {
  final OnnxProvider provider = new OnnxProvider("embed", 32);

  static ProviderException refused(Runnable r) {
    ProviderException e = catchThrowableOfType(ProviderException.class, r::run);
    assertThat(e).as("a ProviderException").isNotNull();
    assertThat(e.kind()).isEqualTo(Kind.BAD_REQUEST);
    assertThat(e.kind().status()).isEqualTo(400);
    return e;
  }

  @Test
  void anUnknownModelNamesTheBundledOnes() {
    ProviderException e =
        refused(() -> embed(provider, request("bert-base-uncased", List.of("hi"))));
    assertThat(e.getMessage())
        .contains("'bert-base-uncased'", "all-minilm-l6-v2", "bge-small-zh-v1.5");
    assertThat(e.code()).isEqualTo("model_not_found");
  }

  @Test
  void aliasesAndCaseFindTheModel() {
    assertThat(BundledModel.find("sentence-transformers/all-MiniLM-L6-v2"))
        .isEqualTo(BundledModel.ALL_MINILM_L6_V2);
    assertThat(BundledModel.find("BAAI/bge-small-zh-v1.5"))
        .isEqualTo(BundledModel.BGE_SMALL_ZH_V1_5);
    assertThat(BundledModel.find("bge-small-zh")).isNull();
  }

  @Test
  void emptyInputsAreRefusedNamingTheInput() {
    ProviderException one =
        refused(() -> embed(provider, request("all-minilm-l6-v2", Json.NODES.textNode(""), null)));
    assertThat(one.param()).isEqualTo("input");
    ProviderException second =
        refused(() -> embed(provider, request("all-minilm-l6-v2", List.of("fine", ""))));
    assertThat(second.param()).isEqualTo("input[1]");
    assertThat(second.getMessage()).contains("must not be empty");
    refused(() -> embed(provider, request("all-minilm-l6-v2", Json.NODES.arrayNode(), null)));
  }

  @Test
  void tokenIdsAreRefused() {
    var ids = Json.NODES.arrayNode().add(101).add(2023).add(102);
    ProviderException e = refused(() -> embed(provider, request("all-minilm-l6-v2", ids, null)));
    assertThat(e.getMessage()).contains("not token ids");
    var nested = Json.NODES.arrayNode();
    nested.add("text");
    nested.addArray().add(1).add(2);
    assertThat(refused(() -> embed(provider, request("all-minilm-l6-v2", nested, null))).param())
        .isEqualTo("input[1]");
  }

  @Test
  void dimensionsMustBeTheModelsOwn() {
    var input = Json.NODES.textNode("hello");
    var shorter = new EmbeddingRequest("all-minilm-l6-v2", input, null, 128, null, Json.object());
    ProviderException e = refused(() -> embed(provider, shorter));
    assertThat(e.param()).isEqualTo("dimensions");
    assertThat(e.getMessage()).contains("384", "128");
    var same = new EmbeddingRequest("all-minilm-l6-v2", input, null, 384, null, Json.object());
    assertThat(embed(provider, same).data().getFirst().floats()).hasSize(384);
  }

  @Test
  void chatAndCompletionsSayItIsAnEmbeddingModel() {
    var chat =
        ChatRequestCodec.read(
            Json.parse(
                "{\"model\":\"bge-small-zh-v1.5\",\"messages\":[{\"role\":\"user\",\"content\":\"你好\"}]}"
                    .getBytes(StandardCharsets.UTF_8)));
    ProviderException e = refused(() -> provider.chat(chat, Call.unbounded("t"), c -> {}));
    assertThat(e.getMessage()).contains("'bge-small-zh-v1.5' is an embedding model", "embeddings");
    assertThat(e.code()).isEqualTo("unsupported_endpoint");
    var completion =
        CompletionRequest.read(
            Json.parse("{\"model\":\"all-minilm-l6-v2\",\"prompt\":\"hi\"}".getBytes()));
    refused(() -> provider.completion(completion, Call.unbounded("t"), c -> {}));
  }

  @Test
  void theFactoryIsFoundByTypeAndChecksItsOptions() {
    ProviderFactory f =
        ServiceLoader.load(ProviderFactory.class).stream()
            .map(ServiceLoader.Provider::get)
            .filter(p -> p.type().equals("onnx"))
            .findFirst()
            .orElseThrow();
    assertThat(f.create(spec(Map.of())).name()).isEqualTo("embed");
    assertThat(f.create(spec(Map.of("max_batch", 4)))).isInstanceOf(OnnxProvider.class);
    assertThatThrownBy(() -> f.create(spec(Map.of("max_batch", 0))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("max_batch must be an integer from 1 to 256 but was 0");
    assertThatThrownBy(() -> f.create(spec(Map.of("max_batch", "many"))))
        .hasMessageContaining("but was 'many'");
    assertThatThrownBy(() -> f.create(spec(Map.of("dir", "x"))))
        .hasMessageContaining("unknown option 'dir'");
  }

  static ProviderSpec spec(Map<String, Object> options) {
    return new ProviderSpec(
        "embed", "onnx", null, null, null, Map.of(), Duration.ofSeconds(1), options);
  }
}
