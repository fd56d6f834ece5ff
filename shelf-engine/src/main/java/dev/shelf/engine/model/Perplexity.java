package dev.shelf.engine.model;

import dev.shelf.engine.sampling.Logprobs;

/**
 * Perplexity as llama.cpp's {@code llama-perplexity} computes it by default: non-overlapping chunks
 * of {@code nCtx} tokens (a trailing partial chunk dropped), the first token of each chunk replaced
 * by BOS, and only the second half scored: the logits at positions {@code [nCtx/2, nCtx-1)} predict
 * the next token, {@code nCtx - nCtx/2 - 1} tokens per chunk.
 */
public final class Perplexity {
  private Perplexity() {}

  /** Told after each chunk: its index (from 0), the chunk count, and the running perplexity. */
  @FunctionalInterface
  public interface ChunkListener {
    void chunkDone(int chunk, int chunks, double runningPerplexity);
  }

  /**
   * The perplexity of {@code tokens} (BOS included or not: the first of each chunk is replaced).
   */
  public static double of(LlamaModel model, int[] tokens, int nCtx, int bos) {
    return of(model, tokens, nCtx, bos, (c, n, p) -> {});
  }

  /**
   * The perplexity of {@code tokens}; {@code listener} hears of each chunk as it is done.
   *
   * @throws IllegalArgumentException when {@code nCtx < 4} or there is not one whole chunk
   */
  public static double of(
      LlamaModel model, int[] tokens, int nCtx, int bos, ChunkListener listener) {
    if (nCtx < 4) {
      throw new IllegalArgumentException("context must be >= 4 tokens but was " + nCtx);
    }
    int chunks = tokens.length / nCtx;
    if (chunks == 0) {
      throw new IllegalArgumentException(
          "perplexity needs at least one chunk of "
              + nCtx
              + " tokens but the text has "
              + tokens.length);
    }
    int first = nCtx / 2;
    double nll = 0;
    int count = 0;
    LlamaSequence seq = model.newSequence(nCtx);
    for (int c = 0; c < chunks; c++) {
      int start = c * nCtx;
      seq.reset();
      for (int j = 0; j < nCtx - 1; j++) {
        float[] logits = seq.forward(j == 0 ? bos : tokens[start + j], j);
        if (j >= first) {
          nll -= logSoftmax(logits, tokens[start + j + 1]);
          count++;
        }
      }
      listener.chunkDone(c, chunks, Math.exp(nll / count));
    }
    return Math.exp(nll / count);
  }

  /** llama.cpp's {@code log_softmax}: the max in float, the sum of exponentials in double. */
  public static double logSoftmax(float[] logits, int token) {
    return Logprobs.of(logits).of(token);
  }
}
