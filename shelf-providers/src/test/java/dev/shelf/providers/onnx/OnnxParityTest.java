package dev.shelf.providers.onnx;

import static dev.shelf.providers.onnx.OnnxTesting.embed;
import static dev.shelf.providers.onnx.OnnxTesting.maxAbsDiff;
import static dev.shelf.providers.onnx.OnnxTesting.referenceAll;
import static dev.shelf.providers.onnx.OnnxTesting.request;
import static dev.shelf.providers.onnx.OnnxTesting.tokens;
import static dev.shelf.providers.onnx.OnnxTesting.vectors;
import static org.assertj.core.api.Assertions.assertThat;

import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.model.output.Response;
import dev.shelf.api.EmbeddingResponse;
import dev.shelf.api.Json;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Our embeddings equal the model's own output within 1e-5: the reference is LangChain4j's class for
 * the same ONNX file, which tokenizes, runs and pools each text alone (no padding, no batch), so it
 * shares none of our batching, padding, masking or pooling code.
 */
class OnnxParityTest {
  static final double TOLERANCE = 1e-5;

  static final List<String> ENGLISH =
      List.of(
          "Hello, world!",
          "The quick brown fox jumps over the lazy dog.",
          "A",
          "Embeddings map text to vectors so that similar meanings land close together; this"
              + " sentence is a little longer than the others, with punctuation, numbers like 42"
              + " and 3.14, and words such as unbelievably and tokenization.",
          "Shelf serves models.");

  static final List<String> CHINESE =
      List.of(
          "今天天气很好。",
          "我喜欢在周末去公园散步，呼吸新鲜空气，看看湖边的风景。",
          "向量检索",
          "机器学习是人工智能的一个分支，它让计算机能够从数据中学习规律，而不需要明确的编程。" + "深度学习则使用多层神经网络来表示复杂的函数。",
          "北京是中国的首都。");

  static Stream<Arguments> cases() {
    // Small batches so the inputs span several forward passes of mixed lengths.
    return Stream.of(
        Arguments.of(BundledModel.ALL_MINILM_L6_V2, ENGLISH, 1),
        Arguments.of(BundledModel.ALL_MINILM_L6_V2, ENGLISH, 2),
        Arguments.of(BundledModel.ALL_MINILM_L6_V2, ENGLISH, 32),
        Arguments.of(BundledModel.BGE_SMALL_ZH_V1_5, CHINESE, 1),
        Arguments.of(BundledModel.BGE_SMALL_ZH_V1_5, CHINESE, 3),
        Arguments.of(BundledModel.BGE_SMALL_ZH_V1_5, CHINESE, 32),
        // Mixed languages through each model: English through bge, Chinese through MiniLM.
        Arguments.of(
            BundledModel.BGE_SMALL_ZH_V1_5,
            Stream.concat(ENGLISH.stream(), CHINESE.stream()).toList(),
            4),
        Arguments.of(
            BundledModel.ALL_MINILM_L6_V2,
            Stream.concat(CHINESE.stream(), ENGLISH.stream()).toList(),
            4));
  }

  @ParameterizedTest(name = "{0}, batches of {2}")
  @MethodSource("cases")
  void batchedEmbeddingsEqualTheReferenceAndUsageCountsItsTokens(
      BundledModel model, List<String> texts, int maxBatch) {
    var provider = new OnnxProvider("embed", maxBatch);
    EmbeddingResponse ours = embed(provider, request(model.id(), texts));
    Response<List<Embedding>> ref = referenceAll(model, texts);

    float[][] got = vectors(ours);
    assertThat(got.length).isEqualTo(texts.size());
    for (int i = 0; i < texts.size(); i++) {
      float[] want = ref.content().get(i).vector();
      assertThat(got[i]).hasSize(model.dimensions());
      assertThat(maxAbsDiff(got[i], want))
          .as("input %d (%s)", i, texts.get(i))
          .isLessThanOrEqualTo(TOLERANCE);
    }
    // LangChain4j counts the tokens it runs, [CLS] and [SEP] included, as we do.
    assertThat(ours.promptTokens()).isEqualTo(tokens(ref));
    assertThat(ours.model()).isEqualTo(model.id());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void aSingleStringAndBase64GiveTheSameValues(BundledModel model) {
    var provider = new OnnxProvider("embed", 8);
    String text = model == BundledModel.ALL_MINILM_L6_V2 ? ENGLISH.get(1) : CHINESE.get(1);
    float[] floats =
        vectors(embed(provider, request(model.id(), Json.NODES.textNode(text), "float")))[0];
    EmbeddingResponse b64 =
        embed(provider, request(model.id(), Json.NODES.textNode(text), "base64"));
    assertThat(b64.data().getFirst().embedding().isTextual()).isTrue();
    assertThat(b64.data().getFirst().floats()).containsExactly(floats);
    float[] want = referenceAll(model, List.of(text)).content().getFirst().vector();
    assertThat(maxAbsDiff(floats, want)).isLessThanOrEqualTo(TOLERANCE);
  }

  static Stream<BundledModel> models() {
    return Stream.of(BundledModel.values());
  }

  /**
   * An input longer than the model's limit keeps its first {@code maxTokens - 2} word pieces
   * (between {@code [CLS]} and {@code [SEP]}), as sentence-transformers does. Each word below is
   * one word piece, so the reference is the first {@code maxTokens - 2} words run whole through a
   * plain ONNX Runtime session. (LangChain4j cannot be the reference here: its MiniLM cuts at 128.)
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void aTooLongInputIsCutToTheModelsLimit(BundledModel model) throws Exception {
    List<String> words =
        model == BundledModel.ALL_MINILM_L6_V2
            ? List.of("cat", "dog", "house", "tree", "river", "blue", "green", "stone")
            : List.of("猫", "狗", "房", "树", "河", "蓝", "绿", "石");
    String sep = model == BundledModel.ALL_MINILM_L6_V2 ? " " : "";
    int keep = model.maxTokens() - 2;
    StringBuilder all = new StringBuilder();
    StringBuilder prefix = new StringBuilder();
    for (int i = 0; i < keep + 300; i++) {
      String w = words.get((i * 5 + i / 8) % words.size());
      all.append(i == 0 ? "" : sep).append(w);
      if (i < keep) {
        prefix.append(i == 0 ? "" : sep).append(w);
      }
    }
    var provider = new OnnxProvider("embed", 4);
    EmbeddingResponse r = embed(provider, request(model.id(), List.of(all.toString(), "short")));
    float[] ref = OnnxTesting.direct(model, prefix.toString());
    int dims = model.dimensions();
    assertThat(ref[dims]).as("tokens the reference ran").isEqualTo(model.maxTokens());
    assertThat(maxAbsDiff(vectors(r)[0], Arrays.copyOf(ref, dims))).isLessThanOrEqualTo(TOLERANCE);
    int shortTokens = tokens(referenceAll(model, List.of("short")));
    assertThat(r.promptTokens()).isEqualTo(keep + shortTokens);
  }

  /** The plain reference agrees with LangChain4j where both apply, so it is a fair reference. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void thePlainReferenceAgreesWithLangChain4j(BundledModel model) throws Exception {
    String text = model == BundledModel.ALL_MINILM_L6_V2 ? ENGLISH.get(3) : CHINESE.get(3);
    float[] plain = OnnxTesting.direct(model, text);
    float[] l4j = referenceAll(model, List.of(text)).content().getFirst().vector();
    assertThat(maxAbsDiff(Arrays.copyOf(plain, model.dimensions()), l4j))
        .isLessThanOrEqualTo(TOLERANCE);
  }
}
