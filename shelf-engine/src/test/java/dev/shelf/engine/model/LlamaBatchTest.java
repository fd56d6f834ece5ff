package dev.shelf.engine.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.shelf.engine.gguf.GgufFile;
import dev.shelf.engine.tensor.Parallel;
import dev.shelf.engine.tensor.Simd;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Batching never changes a sequence's logits: a prompt prefilled in one pass, and several sequences
 * stepped together, give bit for bit what feeding each token alone gives, on the stories260K
 * fixture (F32) and on synthetic files of the quantised types and of every architecture ({@code
 * SHAPE:TYPE} for a shape other than {@code tiny}).
 */
class LlamaBatchTest {
  @TempDir static Path dir;

  private static GgufFile open(String type) throws IOException {
    if (type.equals("stories")) {
      return GgufFile.open(StoriesFixture.gguf());
    }
    String[] shapeAndType = type.contains(":") ? type.split(":") : new String[] {"tiny", type};
    Path file = dir.resolve(shapeAndType[0] + "-" + shapeAndType[1] + ".gguf");
    SyntheticModel.write(
        file,
        SyntheticModel.shape(shapeAndType[0]),
        shapeAndType[1],
        3,
        Parallel.shared(),
        (d, t) -> {});
    return GgufFile.open(file);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "stories",
        "Q8_0",
        "Q4_0",
        "Q4_K_M",
        "Q5_K_M",
        "BF16",
        "tiny-qwen2:Q8_0",
        "tiny-qwen2:Q4_K_M",
        "tiny-qwen3:Q8_0",
        "tiny-qwen3:Q4_0"
      })
  void prefillAndBatchedStepsEqualOneTokenAtATime(String type) throws IOException {
    try (GgufFile file = open(type)) {
      for (Simd simd : Simd.all()) {
        LlamaModel model = LlamaModel.load(file, simd, Parallel.shared());
        int vocab = model.config().vocabSize();
        Random random = new Random(11);
        int streams = 3;
        int[][] prompts = new int[streams][];
        LlamaSequence[] alone = new LlamaSequence[streams];
        LlamaSequence[] batched = new LlamaSequence[streams];
        float[][] last = new float[streams][];
        for (int s = 0; s < streams; s++) {
          prompts[s] = new int[5 + 4 * s];
          for (int i = 0; i < prompts[s].length; i++) {
            prompts[s][i] = random.nextInt(vocab);
          }
          alone[s] = model.newSequence(64);
          batched[s] = model.newSequence(64);
          float[] expected = new float[0];
          for (int i = 0; i < prompts[s].length; i++) {
            expected = alone[s].forward(prompts[s][i], i);
          }
          last[s] = batched[s].prefill(prompts[s], 0);
          assertThat(last[s]).as("%s %s prefill of stream %d", type, simd, s).isEqualTo(expected);
        }
        for (int step = 0; step < 4; step++) {
          int[] next = new int[streams];
          for (int s = 0; s < streams; s++) {
            next[s] = LlamaSequence.argmax(last[s]);
          }
          float[][] together = model.step(batched, next);
          for (int s = 0; s < streams; s++) {
            float[] expected = alone[s].forward(next[s], alone[s].length());
            assertThat(together[s])
                .as("%s %s step %d of stream %d", type, simd, step, s)
                .isEqualTo(expected);
            last[s] = together[s];
          }
        }
      }
    }
  }

  /**
   * Threads never change the logits either: a decoded token and a batched step split each layer's
   * {@code q}, {@code k}, {@code v} (and {@code gate}, {@code up}) across the threads as one range
   * of rows, which one thread runs matrix by matrix.
   */
  @ParameterizedTest
  @ValueSource(strings = {"Q4_0", "Q4_K_M", "tiny-qwen2:Q8_0"})
  void threeThreadsGiveWhatOneGives(String type) throws IOException {
    try (GgufFile file = open(type);
        Parallel one = new Parallel(1);
        Parallel three = new Parallel(3)) {
      LlamaModel alone = LlamaModel.load(file, Simd.defaults(), one);
      LlamaModel split = LlamaModel.load(file, Simd.defaults(), three);
      int vocab = alone.config().vocabSize();
      Random random = new Random(5);
      int[] prompt = new int[7];
      for (int i = 0; i < prompt.length; i++) {
        prompt[i] = random.nextInt(vocab);
      }
      LlamaSequence[] a = {alone.newSequence(32), alone.newSequence(32)};
      LlamaSequence[] b = {split.newSequence(32), split.newSequence(32)};
      assertThat(b[0].prefill(prompt, 0)).as(type + " prefill").isEqualTo(a[0].prefill(prompt, 0));
      assertThat(b[1].forward(prompt[0], 0))
          .as(type + " one token")
          .isEqualTo(a[1].forward(prompt[0], 0));
      int[] next = {prompt[1], prompt[2]};
      float[][] expected = alone.step(a, next);
      float[][] actual = split.step(b, next);
      for (int s = 0; s < 2; s++) {
        assertThat(actual[s]).as(type + " step of stream " + s).isEqualTo(expected[s]);
      }
    }
  }

  /**
   * A warm-up leaves nothing behind: greedy tokens after it are those of a model that never warmed
   * up, on the same file, and a model whose context is shorter than the warm-up's prompt still
   * warms up.
   */
  @ParameterizedTest
  @ValueSource(strings = {"stories", "Q4_K_M"})
  void warmUpChangesNothing(String type) throws IOException {
    try (GgufFile file = open(type)) {
      int[] prompt = {1, 42, 7, 99};
      int[] cold = LlamaModel.load(file).newSequence(32).generate(prompt, 6);
      LlamaModel warmed = LlamaModel.load(file);
      warmed.warmUp();
      warmed.warmUp();
      assertThat(warmed.newSequence(32).generate(prompt, 6)).as(type).isEqualTo(cold);
    }
    SyntheticModel.Shape t = SyntheticModel.shape("tiny");
    Path shortFile = dir.resolve("tiny-context-3.gguf");
    SyntheticModel.write(
        shortFile,
        new SyntheticModel.Shape(
            "tiny-context-3",
            t.architecture(),
            t.embedding(),
            t.blocks(),
            t.heads(),
            t.kvHeads(),
            t.headSize(),
            t.feedForward(),
            t.vocab(),
            3,
            t.ropeBase(),
            t.rmsEpsilon()),
        "Q8_0",
        3,
        Parallel.shared(),
        (d, u) -> {});
    try (GgufFile file = GgufFile.open(shortFile)) {
      LlamaModel shortContext = LlamaModel.load(file);
      assertThat(shortContext.config().contextLength()).isEqualTo(3);
      shortContext.warmUp();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"stories"})
  void badStepsAreRefused(String type) throws IOException {
    try (GgufFile file = open(type)) {
      LlamaModel model = LlamaModel.load(file);
      LlamaSequence a = model.newSequence(2);
      LlamaSequence b = model.newSequence(2);
      assertThatThrownBy(() -> model.step(new LlamaSequence[] {a, a}, new int[] {1, 1}))
          .hasMessage("sequence 1 appears twice in one step");
      assertThatThrownBy(() -> model.step(new LlamaSequence[] {a, b}, new int[] {1}))
          .hasMessageContaining("2 sequences and 1 tokens");
      model.step(new LlamaSequence[] {a, b}, new int[] {1, 2});
      model.step(new LlamaSequence[] {a, b}, new int[] {1, 2});
      assertThatThrownBy(() -> model.step(new LlamaSequence[] {a}, new int[] {1}))
          .isInstanceOf(ContextOverflowException.class);
      assertThatThrownBy(() -> b.prefill(new int[] {1, 2, 3}, 0))
          .isInstanceOf(ContextOverflowException.class);
    }
  }
}
