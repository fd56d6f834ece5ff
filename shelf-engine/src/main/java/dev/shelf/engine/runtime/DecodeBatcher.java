package dev.shelf.engine.runtime;

import dev.shelf.engine.model.ContextOverflowException;
import dev.shelf.engine.model.LlamaModel;
import dev.shelf.engine.model.LlamaSequence;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * Continuous batching of decode steps: many request threads each drive their own {@link
 * LlamaSequence}, and instead of running its next token alone each hands it to {@link #step}; one
 * worker thread takes whatever steps are waiting (up to {@code maxBatch}) and runs them together
 * with {@link LlamaModel#step}, one pass over the weights for all of them.
 *
 * <h2>Why it works this way</h2>
 *
 * Decoding one token is bound by reading every weight; a batch of K tokens reads them once, so K
 * concurrent requests cost little more than one. There is no fixed batch and no waiting for one to
 * fill: a step joins the next pass the worker starts, and a request that finishes simply stops
 * sending steps (so requests join and leave at any token: continuous batching). A lone request runs
 * alone, at the single-sequence speed. Prompts are not batched here: each request prefills its own
 * prompt on its own thread ({@link LlamaSequence#prefill}), which is already a batched pass over
 * the weights.
 *
 * <h2>Invariants</h2>
 *
 * A request thread blocks in {@link #step} until its logits are back, so a sequence is never in two
 * steps at once and is touched by one thread at a time (the worker while the step runs). Since
 * batching never changes a sequence's logits, a request's tokens are the same whatever else runs. A
 * step that fails (a bad token) fails every step of its pass with the same exception; steps are
 * checked before they are queued so that one request's mistake does not fail the others.
 */
public final class DecodeBatcher implements AutoCloseable {
  private final LlamaModel model;
  private final int maxBatch;
  private final LinkedBlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
  private final Thread worker;
  private volatile boolean closed;

  private record Pending(LlamaSequence seq, int token, CompletableFuture<float[]> logits) {}

  /**
   * Starts the worker (a daemon thread).
   *
   * @throws IllegalArgumentException if {@code maxBatch < 1}
   */
  public DecodeBatcher(LlamaModel model, int maxBatch) {
    if (maxBatch < 1) {
      throw new IllegalArgumentException("maxBatch must be >= 1 but was " + maxBatch);
    }
    this.model = model;
    this.maxBatch = maxBatch;
    this.worker = Thread.ofPlatform().daemon().name("shelf-decode-batcher").start(this::run);
  }

  /**
   * Runs {@code token} at position {@code seq.length()} of {@code seq}, batched with the other
   * sequences waiting, and returns the logits of the next token.
   *
   * @throws IllegalArgumentException if the sequence belongs to another model or the token is
   *     outside the vocabulary
   * @throws ContextOverflowException if the sequence is full
   * @throws InterruptedException if the calling thread is interrupted while waiting (the step may
   *     still run; the sequence must not be used after)
   * @throws IllegalStateException if the batcher is closed
   */
  public float[] step(LlamaSequence seq, int token) throws InterruptedException {
    if (seq.model() != model) {
      throw new IllegalArgumentException("the sequence belongs to another model");
    }
    int vocab = model.config().vocabSize();
    if (token < 0 || token >= vocab) {
      throw new IllegalArgumentException("token must be in [0, " + vocab + ") but was " + token);
    }
    if (seq.length() >= seq.contextLength()) {
      throw new ContextOverflowException(seq.length(), seq.contextLength());
    }
    if (closed) {
      throw new IllegalStateException("the decode batcher is closed");
    }
    Pending p = new Pending(seq, token, new CompletableFuture<>());
    queue.add(p);
    try {
      return p.logits().get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      if (e.getCause() instanceof Error err) {
        throw err; // an OutOfMemoryError in the shared step stays one for each of its callers
      }
      throw new IllegalStateException(e.getCause());
    } catch (CancellationException e) {
      throw new IllegalStateException("the decode batcher is closed", e);
    }
  }

  private void run() {
    List<Pending> batch = new ArrayList<>(maxBatch);
    while (!closed) {
      batch.clear();
      try {
        batch.add(queue.take());
      } catch (InterruptedException e) {
        break;
      }
      queue.drainTo(batch, maxBatch - 1);
      LlamaSequence[] seqs = new LlamaSequence[batch.size()];
      int[] tokens = new int[batch.size()];
      for (int i = 0; i < seqs.length; i++) {
        seqs[i] = batch.get(i).seq();
        tokens[i] = batch.get(i).token();
      }
      try {
        float[][] logits = model.step(seqs, tokens);
        for (int i = 0; i < seqs.length; i++) {
          batch.get(i).logits().complete(logits[i]);
        }
      } catch (RuntimeException | Error e) {
        for (Pending p : batch) {
          p.logits().completeExceptionally(e);
        }
      }
    }
    for (Pending p : queue) {
      p.logits().cancel(false);
    }
  }

  /** Stops the worker; steps still waiting fail with {@link IllegalStateException}. */
  @Override
  public void close() {
    closed = true;
    worker.interrupt();
    Pending p;
    while ((p = queue.poll()) != null) {
      p.logits().cancel(false);
    }
  }
}
