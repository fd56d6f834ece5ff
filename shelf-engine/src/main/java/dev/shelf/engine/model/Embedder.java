package dev.shelf.engine.model;

import dev.shelf.engine.gguf.GgufMetadata;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Sentence embeddings from a decoder model (Qwen3-Embedding, gte-Qwen, e5-mistral and other {@code
 * llama}/{@code qwen2}/{@code qwen3} files made for it), as llama.cpp's server computes them: each
 * input run through the model, the final hidden states after the output norm pooled over its
 * tokens, then scaled to unit length.
 *
 * <h2>Pooling</h2>
 *
 * The file's {@code ARCH.pooling_type} says how (llama.cpp's numbers): 1 mean over all tokens, 2
 * the first token's state (CLS), 3 the last token's (Qwen3-Embedding's). A file without the key (or
 * with 0, "none") is pooled by the mean, the choice that suits a model never trained for it least
 * badly; 4 (rank, for rerankers) is refused.
 *
 * <h2>Batching</h2>
 *
 * The inputs' tokens are packed into passes of up to {@link LlamaBatch#MAX_ROWS} rows, several
 * inputs to a pass (each row attends only to its own input's positions), so a hundred short
 * sentences cost a few passes over the weights, not a hundred. A sequence lives only while its
 * input's rows are in flight: the KV memory held at once is about one pass and one input's worth.
 * The output projection is skipped.
 */
public final class Embedder {
  /** How token states become one vector. */
  public enum Pooling {
    MEAN,
    CLS,
    LAST;

    /**
     * The pooling of a file ({@code ARCH.pooling_type}; mean when absent or "none").
     *
     * @throws IllegalArgumentException for rank pooling or an unknown number
     */
    public static Pooling of(GgufMetadata metadata, Architecture arch) {
      String key = arch.keyPrefix() + "pooling_type";
      if (!metadata.contains(key)) {
        return MEAN;
      }
      int type = metadata.getInt(key);
      return switch (type) {
        case 0, 1 -> MEAN;
        case 2 -> CLS;
        case 3 -> LAST;
        default ->
            throw new IllegalArgumentException(
                key
                    + " is "
                    + type
                    + (type == 4 ? " (rank: a reranker)" : "")
                    + "; embeddings take 1 (mean), 2 (cls) or 3 (last)");
      };
    }
  }

  private Embedder() {}

  /**
   * The unit-length embedding of each input (token ids, none empty, each within the context).
   *
   * @throws IllegalArgumentException if an input is empty, holds a token outside the vocabulary, or
   *     is longer than the context
   */
  public static float[][] embed(LlamaModel model, List<int[]> inputs, Pooling pooling) {
    int dim = model.config().embeddingLength();
    int context = model.config().contextLength();
    for (int i = 0; i < inputs.size(); i++) {
      int[] in = inputs.get(i);
      if (in.length == 0) {
        throw new IllegalArgumentException("input " + i + " has no tokens");
      }
      if (in.length > context) {
        throw new ContextOverflowException(in.length - 1, context);
      }
    }
    float[][] out = new float[inputs.size()][dim];
    int input = 0;
    int offset = 0; // the next token of `input`
    @Nullable LlamaSequence seq = null;
    while (input < inputs.size()) {
      List<LlamaSequence> seqs = new ArrayList<>();
      List<Integer> owners = new ArrayList<>();
      int[] tokens = new int[LlamaBatch.MAX_ROWS];
      int[] positions = new int[LlamaBatch.MAX_ROWS];
      int rows = 0;
      while (rows < LlamaBatch.MAX_ROWS && input < inputs.size()) {
        int[] in = inputs.get(input);
        if (seq == null) {
          seq = model.newSequence(in.length);
        }
        int take = Math.min(LlamaBatch.MAX_ROWS - rows, in.length - offset);
        for (int t = 0; t < take; t++) {
          seq.checkToken(in[offset + t]);
          seqs.add(seq);
          owners.add(input);
          tokens[rows] = in[offset + t];
          positions[rows] = offset + t;
          rows++;
        }
        offset += take;
        if (offset == in.length) {
          input++;
          offset = 0;
          seq = null;
        }
      }
      boolean[] want = new boolean[rows];
      Arrays.fill(want, true);
      float[][] states =
          LlamaBatch.run(
              model,
              seqs.toArray(new LlamaSequence[0]),
              Arrays.copyOf(tokens, rows),
              Arrays.copyOf(positions, rows),
              want,
              true);
      for (int r = 0; r < rows; r++) {
        int owner = owners.get(r);
        int at = positions[r];
        int length = inputs.get(owner).length;
        boolean take =
            switch (pooling) {
              case MEAN -> true;
              case CLS -> at == 0;
              case LAST -> at == length - 1;
            };
        if (take) {
          float[] sum = out[owner];
          float[] h = states[r];
          for (int d = 0; d < dim; d++) {
            sum[d] += h[d];
          }
        }
      }
    }
    for (int i = 0; i < out.length; i++) {
      if (pooling == Pooling.MEAN) {
        int n = inputs.get(i).length;
        for (int d = 0; d < dim; d++) {
          out[i][d] /= n;
        }
      }
      normalize(out[i]);
    }
    return out;
  }

  /** Scales {@code v} to unit Euclidean length (llama.cpp's {@code embd_normalize = 2}). */
  static void normalize(float[] v) {
    double sum = 0;
    for (float x : v) {
      sum += (double) x * x;
    }
    if (sum > 0) {
      float inv = (float) (1 / Math.sqrt(sum));
      for (int d = 0; d < v.length; d++) {
        v[d] *= inv;
      }
    }
  }
}
