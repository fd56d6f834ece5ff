package dev.shelf.engine.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.shelf.engine.gguf.GgufFile;
import dev.shelf.engine.gguf.GgufWriter;
import dev.shelf.engine.tensor.Parallel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Embeddings on a synthetic model: pooled from the right hidden states (the last one is the state
 * the logits are computed from), the same whether inputs share passes or not, unit length.
 */
class EmbedderTest {
  @TempDir static Path dir;
  static GgufFile file;
  static LlamaModel model;

  @BeforeAll
  static void load() throws IOException {
    Path path = dir.resolve("tiny.gguf");
    SyntheticModel.write(path, SyntheticModel.TINY, "F32", 3, Parallel.shared(), (d, t) -> {});
    file = GgufFile.open(path);
    model = LlamaModel.load(file);
  }

  @AfterAll
  static void close() {
    file.close();
  }

  static int[] tokens(long seed, int n) {
    SplittableRandom r = new SplittableRandom(seed);
    int[] t = new int[n];
    for (int i = 0; i < n; i++) {
      t[i] = 3 + r.nextInt(model.config().vocabSize() - 3);
    }
    return t;
  }

  static double norm(float[] v) {
    double s = 0;
    for (float x : v) {
      s += (double) x * x;
    }
    return Math.sqrt(s);
  }

  @Test
  void theLastTokensStateIsTheOneTheLogitsComeFrom() {
    int[] in = tokens(1, 20);
    float[] e = Embedder.embed(model, List.of(in), Embedder.Pooling.LAST)[0];
    assertThat(norm(e)).isCloseTo(1.0, within(1e-5));
    float[] logits = model.newSequence(in.length).prefill(in, 0);
    // logits = output . h and e = h / |h|: output . e is the logits scaled by one factor
    float[] projected = new float[logits.length];
    model.output.matvec(e, projected, Parallel.shared());
    double scale = logits[0] / projected[0];
    for (int j = 0; j < logits.length; j += 97) {
      assertThat((double) logits[j])
          .isCloseTo(projected[j] * scale, within(1e-3 * Math.abs(logits[j]) + 1e-5));
    }
  }

  @Test
  void meanAndClsPoolTheirStates() {
    int[] in = tokens(2, 9);
    LlamaSequence seq = model.newSequence(in.length);
    LlamaSequence[] seqs = new LlamaSequence[in.length];
    Arrays.fill(seqs, seq);
    int[] positions = new int[in.length];
    Arrays.setAll(positions, i -> i);
    boolean[] all = new boolean[in.length];
    Arrays.fill(all, true);
    float[][] states = LlamaBatch.run(model, seqs, in, positions, all, true);
    float[] mean = new float[states[0].length];
    for (float[] h : states) {
      for (int d = 0; d < mean.length; d++) {
        mean[d] += h[d];
      }
    }
    for (int d = 0; d < mean.length; d++) {
      mean[d] /= in.length;
    }
    Embedder.normalize(mean);
    float[] cls = states[0].clone();
    Embedder.normalize(cls);
    assertThat(Embedder.embed(model, List.of(in), Embedder.Pooling.MEAN)[0]).containsExactly(mean);
    assertThat(Embedder.embed(model, List.of(in), Embedder.Pooling.CLS)[0]).containsExactly(cls);
  }

  @Test
  void inputsSharingPassesEmbedAsAlone() {
    // 300 and 140 tokens span passes of 128 rows; the short ones fill the gaps
    List<int[]> inputs = new ArrayList<>();
    for (int n : new int[] {5, 300, 1, 140, 17, 64, 64}) {
      inputs.add(tokens(n, n));
    }
    for (Embedder.Pooling p : Embedder.Pooling.values()) {
      float[][] together = Embedder.embed(model, inputs, p);
      for (int i = 0; i < inputs.size(); i++) {
        float[] alone = Embedder.embed(model, List.of(inputs.get(i)), p)[0];
        assertThat(together[i]).as("%s input %d", p, i).containsExactly(alone);
      }
    }
  }

  @Test
  void badInputsAreRefused() {
    assertThatThrownBy(() -> Embedder.embed(model, List.of(new int[0]), Embedder.Pooling.MEAN))
        .hasMessageContaining("input 0 has no tokens");
    int context = model.config().contextLength();
    assertThatThrownBy(
            () -> Embedder.embed(model, List.of(tokens(9, context + 1)), Embedder.Pooling.MEAN))
        .isInstanceOf(ContextOverflowException.class);
  }

  @Test
  void thePoolingComesFromTheFile() {
    Architecture arch = model.architecture();
    assertThat(Embedder.Pooling.of(file.metadata(), arch)).isEqualTo(Embedder.Pooling.MEAN);
    for (var c : List.of(new long[] {1, 0}, new long[] {2, 1}, new long[] {3, 2})) {
      GgufFile f = withPooling(c[0]);
      assertThat(Embedder.Pooling.of(f.metadata(), arch))
          .isEqualTo(Embedder.Pooling.values()[(int) c[1]]);
    }
    assertThatThrownBy(() -> Embedder.Pooling.of(withPooling(4).metadata(), arch))
        .hasMessageContaining("llama.pooling_type is 4 (rank: a reranker)");
  }

  private static GgufFile withPooling(long type) {
    try {
      Path p = dir.resolve("pooling-" + type + ".gguf");
      new GgufWriter().putUint32("llama.pooling_type", type).write(p);
      return GgufFile.open(p);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }
}
