package dev.shelf.engine.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.shelf.engine.gguf.GgmlType;
import dev.shelf.engine.gguf.GgufFile;
import dev.shelf.engine.gguf.GgufTensorInfo;
import dev.shelf.engine.tensor.Parallel;
import dev.shelf.engine.tensor.Simd;
import dev.shelf.engine.tensor.WeightMatrix;
import dev.shelf.engine.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Synthetic files load as models of their shape's architecture, tokenize, and generate with finite
 * logits.
 */
class SyntheticModelTest {
  @TempDir Path dir;

  @ParameterizedTest
  @ValueSource(strings = {"Q8_0", "Q4_0", "Q5_0", "Q5_1", "Q4_K_M", "Q5_K_M", "F16"})
  void tinyLoadsAndGeneratesWithFiniteLogits(String type) throws IOException {
    Path file = dir.resolve("tiny-" + type + ".gguf");
    List<Long> progress = new ArrayList<>();
    SyntheticModel.write(
        file, SyntheticModel.TINY, type, 7, Parallel.shared(), (done, total) -> progress.add(done));
    assertThat(progress).isNotEmpty().isSorted();
    assertThat(progress.getLast()).isLessThanOrEqualTo(Files.size(file));
    try (GgufFile gguf = GgufFile.open(file)) {
      LlamaModel model = LlamaModel.load(gguf);
      assertThat(model.config())
          .isEqualTo(new LlamaConfig("llama", 256, 2, 4, 2, 512, 1e-5f, 10_000f, 64, 512, 32_000));
      Tokenizer tokenizer = Tokenizer.fromGguf(gguf);
      int[] prompt = tokenizer.encode("once upon a time", true);
      assertThat(prompt.length).isGreaterThan(1);
      assertThat(prompt[0]).isEqualTo(1);
      LlamaSequence seq = model.newSequence(64);
      for (int i = 0; i < prompt.length; i++) {
        float[] logits = seq.forward(prompt[i], i);
        assertFinite(logits);
      }
      int[] generated = seq.generate(prompt, 5);
      assertThat(generated).hasSize(5);
      assertThat(java.util.Arrays.stream(generated).allMatch(t -> t >= 0 && t < 32_000)).isTrue();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"tiny-qwen2", "tiny-qwen3"})
  void qwenShapesWriteTheirArchitecturesKeysAndTensors(String name) throws IOException {
    SyntheticModel.Shape shape = SyntheticModel.shape(name);
    Path file = dir.resolve(name + ".gguf");
    SyntheticModel.write(file, shape, "Q8_0", 7, Parallel.shared(), (d, t) -> {});
    try (GgufFile gguf = GgufFile.open(file)) {
      String arch = shape.architecture();
      assertThat(gguf.metadata().getString("general.architecture")).isEqualTo(arch);
      assertThat(gguf.metadata().getInt(arch + ".embedding_length")).isEqualTo(256);
      assertThat(gguf.metadata().contains("llama.embedding_length")).isFalse();
      LlamaModel model = LlamaModel.load(gguf);
      assertThat(model.architecture().name()).isEqualTo(arch);
      boolean qwen3 = arch.equals("qwen3");
      assertThat(model.config())
          .isEqualTo(
              new LlamaConfig(
                  arch,
                  256,
                  2,
                  4,
                  2,
                  512,
                  1e-6f,
                  1_000_000f,
                  qwen3 ? 128 : 64,
                  512,
                  32_000,
                  qwen3 ? 128 : 64));
      for (String t : List.of("attn_q.bias", "attn_k.bias", "attn_v.bias")) {
        if (qwen3) {
          assertThat(gguf.findTensor("blk.1." + t)).as(t).isNull();
        } else {
          GgufTensorInfo info = gguf.tensor("blk.1." + t);
          assertThat(info.type()).isEqualTo(GgmlType.F32);
          float[] bias = new float[(int) info.elementCount()];
          WeightMatrix.of(info.type(), gguf.tensorData(info), 1, bias.length, Simd.SCALAR)
              .dequantizeRow(0, bias);
          assertThat(bias).as("random, not zero").doesNotContain(0f);
        }
      }
      for (String t : List.of("attn_q_norm.weight", "attn_k_norm.weight")) {
        if (qwen3) {
          assertThat(gguf.tensor("blk.0." + t).dims()).containsExactly(128L);
        } else {
          assertThat(gguf.findTensor("blk.0." + t)).as(t).isNull();
        }
      }
      int[] generated = model.newSequence(64).generate(new int[] {1, 300, 301}, 4);
      assertThat(generated).hasSize(4);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"Q4_K_M", "Q5_K_M"})
  void kmMixesQ6KIntoTheLayersLlamaCppPicks(String ftype) throws IOException {
    Path file = dir.resolve("tiny-" + ftype + ".gguf");
    SyntheticModel.write(file, SyntheticModel.TINY, ftype, 1, Parallel.shared(), (d, t) -> {});
    GgmlType base = ftype.equals("Q4_K_M") ? GgmlType.Q4_K : GgmlType.Q5_K;
    try (GgufFile gguf = GgufFile.open(file)) {
      assertThat(gguf.metadata().getInt("general.file_type"))
          .isEqualTo(ftype.equals("Q4_K_M") ? 15 : 17);
      assertThat(gguf.tensor("token_embd.weight").type()).isEqualTo(GgmlType.Q6_K);
      assertThat(gguf.findTensor("output.weight")).isNull();
      assertThat(gguf.tensor("blk.0.attn_q.weight").type()).isEqualTo(base);
      // of two layers, use_more_bits picks the last
      assertThat(gguf.tensor("blk.0.attn_v.weight").type()).isEqualTo(base);
      assertThat(gguf.tensor("blk.1.attn_v.weight").type()).isEqualTo(GgmlType.Q6_K);
      assertThat(gguf.tensor("blk.0.ffn_down.weight").type()).isEqualTo(base);
      assertThat(gguf.tensor("blk.1.ffn_down.weight").type()).isEqualTo(GgmlType.Q6_K);
      assertThat(gguf.tensor("blk.0.ffn_up.weight").type()).isEqualTo(base);
      assertThat(gguf.tensor("blk.0.attn_norm.weight").type()).isEqualTo(GgmlType.F32);
    }
    // 16 layers: 0, 1, 4, 7, 10, 13, 14, 15 get more bits, as in llama.cpp
    List<Integer> more = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      if (SyntheticModel.useMoreBits(i, 16)) {
        more.add(i);
      }
    }
    assertThat(more).containsExactly(0, 1, 4, 7, 10, 13, 14, 15);
  }

  @Test
  void kQuantRowsOfPartialBlocksFallBackAsLlamaCppsDo() {
    // qwen25-05b's 896 columns are three and a half K-quant blocks
    assertThat(SyntheticModel.fallback(GgmlType.Q4_K, 896)).isEqualTo(GgmlType.Q5_0);
    assertThat(SyntheticModel.fallback(GgmlType.Q5_K, 896)).isEqualTo(GgmlType.Q5_1);
    assertThat(SyntheticModel.fallback(GgmlType.Q6_K, 896)).isEqualTo(GgmlType.Q8_0);
    assertThat(SyntheticModel.fallback(GgmlType.Q4_K, 2048)).isEqualTo(GgmlType.Q4_K);
    assertThat(SyntheticModel.fallback(GgmlType.Q4_0, 896)).isEqualTo(GgmlType.Q4_0);
  }

  @Test
  void bigShapesHaveTheParameterCountsOfBenchmarksMd() {
    assertThat(SyntheticModel.LLAMA32_1B.parameters()).isBetween(1_030_000_000L, 1_045_000_000L);
    assertThat(SyntheticModel.shape("QWEN25-05B")).isEqualTo(SyntheticModel.QWEN25_05B);
    // Qwen2.5 0.5B: 494 M parameters with its 151,936-token vocabulary, 136 M of them embeddings
    assertThat(SyntheticModel.QWEN25_05B.parameters()).isBetween(385_000_000L, 390_000_000L);
    // Qwen3 0.6B: 596 M without its 151,936 x 1024 embeddings is 440 M
    assertThat(SyntheticModel.QWEN3_06B.parameters() - 32_000L * 1024)
        .isBetween(438_000_000L, 442_000_000L);
    assertThatThrownBy(() -> SyntheticModel.shape("gpt5"))
        .hasMessage(
            "unknown shape 'gpt5'; known: llama32-1b, qwen25-05b, qwen3-06b, tiny, tiny-qwen2,"
                + " tiny-qwen3");
    assertThatThrownBy(
            () ->
                SyntheticModel.write(
                    dir.resolve("x"),
                    SyntheticModel.TINY,
                    "Q3_K",
                    1,
                    Parallel.shared(),
                    (d, t) -> {}))
        .hasMessageContaining("unknown type 'Q3_K'");
  }

  @Test
  void piecesAreDistinct() {
    java.util.Set<String> seen = new java.util.HashSet<>();
    for (int i = 0; i < 40_000; i++) {
      assertThat(seen.add(SyntheticModel.piece(i))).as("piece %d", i).isTrue();
    }
  }

  private static void assertFinite(float[] logits) {
    for (float l : logits) {
      assertThat(Float.isFinite(l)).isTrue();
    }
  }
}
