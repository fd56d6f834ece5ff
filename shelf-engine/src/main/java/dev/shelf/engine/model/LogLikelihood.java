package dev.shelf.engine.model;

import java.util.Arrays;

/**
 * Log-likelihood scoring as lm-evaluation-harness's {@code loglikelihood} request does it: given a
 * context and a continuation (token ids), the sum of {@code log p(continuation[i] | context,
 * continuation[..i])} and whether every continuation token is the greedy pick (the highest logit,
 * the lowest id on a tie), so multiple-choice items can be scored by comparing their choices.
 *
 * <h2>Reusing the prefix</h2>
 *
 * A scorer owns one {@link LlamaSequence} and remembers the tokens its KV cache holds. A later call
 * whose tokens begin with some of them feeds only from where they part (the sequence forgets what
 * came after: {@link LlamaSequence#forward} at an earlier position), so the choices of one question
 * pay for the question once. Feeding a prefix once or again gives the same logits, so reuse never
 * changes a score.
 *
 * <h2>The math</h2>
 *
 * Each log-probability is the log-softmax of the raw logits computed as {@link
 * Perplexity#logSoftmax} computes it (llama.cpp's {@code log_softmax}), so a score equals the sum
 * of per-token log-softmax values from independent forward passes. The logits are read in passes of
 * at most {@link LlamaBatch#MAX_ROWS} tokens and dropped once scored: memory stays one pass of
 * logits.
 *
 * <p>Not thread-safe: one scorer per thread.
 */
public final class LogLikelihood {
  /** One score: the summed log-probability, whether greedy, and each token's log-probability. */
  public record Result(double logLikelihood, boolean greedy, double[] tokenLogprobs) {}

  /** Told the logits after each fed position (which predict the token at {@code position + 1}). */
  @FunctionalInterface
  public interface LogitsListener {
    void logits(int position, float[] logits);
  }

  private final LlamaSequence seq;
  private int[] cached = new int[0];

  /** A scorer over a new sequence of {@code contextLength} positions of {@code model}. */
  public LogLikelihood(LlamaModel model, int contextLength) {
    this.seq = model.newSequence(contextLength);
  }

  /** The most tokens a scored text (context and continuation) may hold. */
  public int contextLength() {
    return seq.contextLength();
  }

  /** How many leading tokens of {@code tokens} the sequence holds already. */
  public int cachedPrefix(int[] tokens) {
    int n = Math.min(Math.min(cached.length, seq.length()), tokens.length);
    int i = 0;
    while (i < n && cached[i] == tokens[i]) {
      i++;
    }
    return i;
  }

  /**
   * Feeds {@code tokens[from, to)} at positions {@code from, ...}, keeping the KV of {@code
   * tokens[0, from)} (which must be held already: {@code from <= cachedPrefix(tokens)}), and hands
   * {@code listener} the logits after each fed position from {@code logitsFrom} on (the positions
   * before it are fed without computing their logits).
   *
   * @throws IllegalArgumentException if {@code from} is beyond the cached prefix or the range is
   *     empty or out of bounds
   * @throws ContextOverflowException if {@code to} exceeds the context
   */
  public void feed(int[] tokens, int from, int to, int logitsFrom, LogitsListener listener) {
    if (from < 0 || from >= to || to > tokens.length) {
      throw new IllegalArgumentException(
          "feed needs 0 <= from < to <= " + tokens.length + " but got [" + from + ", " + to + ")");
    }
    if (from > cachedPrefix(tokens)) {
      throw new IllegalArgumentException(
          "feeding from "
              + from
              + " needs the tokens before it cached, but only "
              + cachedPrefix(tokens)
              + " are");
    }
    if (to > seq.contextLength()) {
      throw new ContextOverflowException(to - 1, seq.contextLength());
    }
    // forget what the cache held past `from` before feeding, so a failure leaves it consistent
    cached = Arrays.copyOf(cached, Math.min(cached.length, from));
    int start = from;
    while (start < to) {
      boolean every = start >= logitsFrom;
      int end = Math.min(to, start + LlamaBatch.MAX_ROWS);
      if (!every && end > logitsFrom) {
        end = logitsFrom; // the positions without logits end where the reported ones begin
      }
      float[][] logits = seq.forwardAll(Arrays.copyOfRange(tokens, start, end), start, every);
      cached = Arrays.copyOf(tokens, end);
      if (every) {
        for (int i = 0; i < logits.length; i++) {
          listener.logits(start + i, logits[i]);
        }
      }
      start = end;
    }
  }

  /**
   * Scores {@code continuation} after {@code context}.
   *
   * @throws IllegalArgumentException if the context or the continuation is empty (lm-eval puts a
   *     BOS or end-of-text token before an empty context), or a token is outside the vocabulary
   * @throws ContextOverflowException if the two do not fit the context together
   */
  public Result score(int[] context, int[] continuation) {
    if (context.length == 0 || continuation.length == 0) {
      throw new IllegalArgumentException(
          "a log-likelihood needs a context and a continuation of at least one token but got "
              + context.length
              + " and "
              + continuation.length);
    }
    int[] all = Arrays.copyOf(context, context.length + continuation.length);
    System.arraycopy(continuation, 0, all, context.length, continuation.length);
    // the logits at positions context.length - 1 .. all.length - 2 predict the continuation
    int first = context.length - 1;
    int from = Math.min(cachedPrefix(all), first);
    double[] each = new double[continuation.length];
    boolean[] greedy = {true};
    double[] sum = {0};
    feed(
        all,
        from,
        all.length - 1,
        first,
        (position, logits) -> {
          int token = all[position + 1];
          double lp = Perplexity.logSoftmax(logits, token);
          each[position - first] = lp;
          sum[0] += lp;
          greedy[0] &= LlamaSequence.argmax(logits) == token;
        });
    return new Result(sum[0], greedy[0], each);
  }
}
