package dev.shelf.providers.local;

import dev.shelf.engine.grammar.JsonGrammar;
import dev.shelf.engine.grammar.TokenConstraint;
import dev.shelf.engine.model.LlamaSequence;
import dev.shelf.engine.model.Perplexity;
import dev.shelf.engine.runtime.KvBudget;
import dev.shelf.engine.sampling.Logprobs;
import dev.shelf.engine.sampling.Sampler;
import dev.shelf.engine.tokenizer.StreamDecoder;
import dev.shelf.engine.tokenizer.Tokenizer;
import dev.shelf.providers.spi.Call;
import dev.shelf.providers.spi.ProviderException;
import dev.shelf.providers.spi.ProviderException.Kind;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Generation for one request: prompts run through one sequence (a later prompt keeps the KV of what
 * it shares with the one before, so the choices of a multiple-choice question pay for the question
 * once), tokens sampled by the request's {@link Sampler}, text handed on as it becomes safe.
 *
 * <h2>Stop strings and the text that is held back</h2>
 *
 * Generated text goes out only once no stop string can begin in it: a tail that is a prefix of a
 * stop string waits for the next token, so a stop string split across tokens is never sent, and the
 * text before the earliest stop string is. Each generated token is reported (with its
 * log-probabilities) in the same piece as the text where it begins; a token that begins at or after
 * a stop string is dropped with it, and a stop token (the file's end-of-generation tokens and the
 * request's {@code stop_token_ids}) is never sent nor reported (OpenAI reports neither).
 *
 * <h2>Log-probabilities</h2>
 *
 * A token's log-probability is the log-softmax of the raw logits at its position ({@link
 * Logprobs}): before penalties, filters and temperature, as OpenAI reports them, so that they say
 * what the model thinks whatever the sampling settings. With {@code echo}, the prompt's tokens are
 * reported too, the first with none (nothing predicts it).
 */
final class Generation implements AutoCloseable {
  /** Prompt tokens per prefill pass: a cancelled call stops between passes. */
  static final int PREFILL_PASS = 128;

  /** One reported token: its id, the distribution it was drawn from, where its text begins. */
  record Scored(int id, @Nullable Logprobs dist, int offset) {}

  /** Receives text that is safe to send, with the tokens that begin in it. */
  @FunctionalInterface
  interface Emitter {
    void emit(String text, List<Scored> tokens);
  }

  /**
   * How generation ended, how many tokens it sampled and, when candidates are ranked ({@code
   * best_of}), the sum of their log-probabilities under the raw logits (else 0).
   */
  record Result(String finishReason, int tokens, double logprob) {
    Result(String finishReason, int tokens) {
      this(finishReason, tokens, 0);
    }
  }

  private final LocalProvider.Loaded m;
  private final LocalParams params;
  private final Call call;
  private final LlamaSequence seq;
  private final KvBudget.Reservation kv;
  private final String promptParam;

  /** The tokens the sequence's KV cache holds, in order. */
  private int[] fed = new int[0];

  private int fedLength;

  /** The previous prompt and its reported tokens (echo with logprobs), for reuse. */
  private int[] lastPrompt = new int[0];

  private List<Scored> lastPromptScores = List.of();

  /**
   * A generation whose prompts have at most {@code longestPrompt} tokens.
   *
   * @param memory where the sequence's KV cache is reserved
   * @param promptParam the request's parameter errors about the prompt name
   * @throws ProviderException CONTEXT_LENGTH when a prompt does not fit the model's context
   */
  Generation(
      LocalProvider.Loaded m,
      Memory memory,
      LocalParams params,
      Call call,
      int longestPrompt,
      String promptParam) {
    this(m, memory, params, call, longestPrompt, promptParam, null);
  }

  /**
   * As above, with its KV memory already reserved ({@code reserved}, of {@link #positions}
   * positions; null to reserve it here).
   */
  Generation(
      LocalProvider.Loaded m,
      Memory memory,
      LocalParams params,
      Call call,
      int longestPrompt,
      String promptParam,
      KvBudget.@Nullable Reservation reserved) {
    this.m = m;
    this.params = params;
    this.call = call;
    int context = m.model().config().contextLength();
    if (longestPrompt >= context) {
      throw tooLong(m, "the prompt", longestPrompt, promptParam);
    }
    checkTokens(m, params.logitBias().keySet(), "logit_bias");
    checkTokens(m, params.stopTokens(), "stop_token_ids");
    this.promptParam = promptParam;
    int positions = positions(m, params, longestPrompt);
    // Its KV cache is reserved from the provider's budget first, so that what does not fit is a
    // clear error and not an OutOfMemoryError; close() gives it back.
    this.kv = reserved != null ? reserved : memory.reserve(m, positions);
    try {
      this.seq = m.model().newSequence(positions);
    } catch (RuntimeException | Error e) {
      kv.close();
      throw e;
    }
  }

  /**
   * Parks the sequence for later prompts that share its beginning ({@link PrefixCache}), which then
   * holds its KV reservation, or gives the reservation back.
   */
  @Override
  public void close() {
    m.prefixes().park(seq, Arrays.copyOf(fed, fedLength), kv);
  }

  /** Refuses, naming {@code param}, a token id outside the file's vocabulary. */
  private static void checkTokens(
      LocalProvider.Loaded m, java.util.Set<Integer> ids, String param) {
    int vocab = m.tokenizer().vocabSize();
    for (int t : ids) {
      if (t >= vocab) {
        throw LocalParams.bad(
            param,
            "Invalid '"
                + param
                + "': "
                + t
                + " is not a token of "
                + m.path().getFileName()
                + " (its vocabulary has "
                + vocab
                + ")");
      }
    }
  }

  /** Gives the KV reservation back without keeping the sequence (a choice beside the first). */
  void release() {
    kv.close();
  }

  /** Feeds {@code prompt} now, so that other choices can {@link #adopt} its KV cache. */
  void warm(int[] prompt) {
    prefill(prompt, false, new int[0], new ArrayList<>());
  }

  /**
   * Starts from {@code from}'s KV cache for as much of {@code prompt} as it holds (it was {@link
   * #warm warmed} with it): the copy is exact, so only the last token is fed again, for its logits.
   */
  void adopt(Generation from, int[] prompt) {
    int n = 0;
    int limit = Math.min(Math.min(from.fedLength, prompt.length), seq.contextLength());
    while (n < limit && from.fed[n] == prompt[n]) {
      n++;
    }
    seq.copyPrefix(from.seq, n);
    fedLength = 0;
    remember(Arrays.copyOf(prompt, n));
  }

  /** The positions a generation of prompts up to {@code longestPrompt} tokens reserves. */
  static int positions(LocalProvider.Loaded m, LocalParams params, int longestPrompt) {
    int context = m.model().config().contextLength();
    return Math.max(1, Math.min(context, longestPrompt + max(m, params, 0)));
  }

  /** The most tokens a prompt of {@code promptLength} may be followed by. */
  int max(int promptLength) {
    return max(m, params, promptLength);
  }

  private static int max(LocalProvider.Loaded m, LocalParams params, int promptLength) {
    Integer limit = params.limit();
    int context = m.model().config().contextLength();
    return Math.max(
        0,
        Math.min(limit == null ? LocalProvider.DEFAULT_MAX_TOKENS : limit, context - promptLength));
  }

  /**
   * The prompt's text as its tokens decode, and where each token's text begins in it: what {@code
   * echo} sends. The space a SentencePiece tokenizer put before the first word is taken off, as
   * {@link Tokenizer#decode} does, when that is what makes the pieces add up to the decoded text.
   */
  static String promptText(Tokenizer tokenizer, int[] prompt, int[] offsets) {
    StreamDecoder decoder = tokenizer.streamDecoder();
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < prompt.length; i++) {
      offsets[i] = text.length();
      text.append(decoder.accept(prompt[i]));
    }
    text.append(decoder.finish());
    String whole = tokenizer.decode(prompt);
    if (!text.toString().equals(whole)) {
      if (!text.isEmpty() && text.charAt(0) == ' ' && text.substring(1).equals(whole)) {
        text.deleteCharAt(0);
        for (int i = 0; i < offsets.length; i++) {
          offsets[i] = Math.max(0, offsets[i] - 1);
        }
      }
    }
    return text.toString();
  }

  /**
   * Runs {@code prompt}, then samples up to the limit, handing text to {@code emit} as it becomes
   * safe. With {@code echo} the prompt's text comes first (with its tokens' log-probabilities when
   * asked), and {@code offset} counts from its start.
   */
  Result run(int[] prompt, Emitter emit) {
    return run(prompt, emit, null);
  }

  /**
   * {@link #run(int[], Emitter)}, the generated text constrained to what {@code grammar} allows
   * (every other token masked before each draw; generation ends when it is complete).
   */
  Result run(int[] prompt, Emitter emit, @Nullable JsonGrammar grammar) {
    if (prompt.length == 0) {
      throw LocalParams.bad(promptParam, "the prompt is empty");
    }
    Tokenizer tokenizer = m.tokenizer();
    int max = max(prompt.length);
    boolean scorePrompt = params.echo() && params.logprobs();
    int base = 0;
    if (params.echo()) {
      int[] offsets = new int[prompt.length];
      String text = promptText(tokenizer, prompt, offsets);
      List<Scored> scores = new ArrayList<>();
      float[] logits = prefill(prompt, scorePrompt, offsets, scores);
      emit.emit(text, scores);
      base = text.length();
      return generate(prompt, logits, max, base, emit, grammar);
    }
    return generate(
        prompt, prefill(prompt, false, new int[0], new ArrayList<>()), max, base, emit, grammar);
  }

  /**
   * Feeds {@code prompt}, keeping the KV of what it shares with the tokens fed before, and returns
   * the logits after its last token; when {@code score}, fills {@code scores} with every prompt
   * token's (the first without a distribution).
   */
  private float[] prefill(int[] prompt, boolean score, int[] offsets, List<Scored> scores) {
    if (fedLength == 0 && !score) {
      // A finished request's sequence that began the same way: copy its cache, compute the rest.
      PrefixCache.Match match = m.prefixes().longest(prompt);
      if (match != null) {
        int n = Math.min(match.tokens(), seq.contextLength());
        seq.copyPrefix(match.seq(), n);
        remember(Arrays.copyOf(prompt, n));
        m.prefixes().reused(n);
      }
    }
    int common = 0;
    int n = Math.min(fedLength, prompt.length);
    while (common < n && fed[common] == prompt[common]) {
      common++;
    }
    // at least the last prompt token is fed again, for its logits
    int from = Math.max(0, common - 1);
    if (score) {
      int shared = 0;
      int k = Math.min(lastPrompt.length, Math.min(from + 1, lastPromptScores.size()));
      while (shared < k && lastPrompt[shared] == prompt[shared]) {
        shared++;
      }
      if (shared < from + 1) {
        from = Math.max(0, shared - 1); // the scores of tokens up to `from` must be known
      }
      for (int i = 0; i <= from && i < prompt.length; i++) {
        scores.add(
            i < shared
                ? new Scored(prompt[i], lastPromptScores.get(i).dist(), offsets[i])
                : new Scored(prompt[i], null, offsets[i]));
      }
    }
    fedLength = from;
    float[] last = new float[0];
    for (int start = from; start < prompt.length; start += PREFILL_PASS) {
      checkInterrupt();
      int end = Math.min(prompt.length, start + PREFILL_PASS);
      float[][] logits = seq.forwardAll(Arrays.copyOfRange(prompt, start, end), start, score);
      last = logits[logits.length - 1];
      remember(Arrays.copyOfRange(prompt, start, end));
      if (score) {
        for (int i = 0; i < logits.length && start + i + 1 < prompt.length; i++) {
          int at = start + i + 1;
          scores.add(new Scored(prompt[at], Logprobs.of(logits[i]), offsets[at]));
        }
      }
    }
    if (score) {
      lastPrompt = prompt;
      lastPromptScores = List.copyOf(scores);
    }
    return last;
  }

  private void remember(int[] tokens) {
    if (fedLength + tokens.length > fed.length) {
      fed = Arrays.copyOf(fed, Math.max(fed.length * 2, fedLength + tokens.length));
    }
    System.arraycopy(tokens, 0, fed, fedLength, tokens.length);
    fedLength += tokens.length;
  }

  private Result generate(
      int[] prompt, float[] first, int max, int base, Emitter emit, @Nullable JsonGrammar grammar) {
    Tokenizer tokenizer = m.tokenizer();
    TokenConstraint constraint = grammar == null ? null : new TokenConstraint(tokenizer, grammar);
    StreamDecoder decoder = tokenizer.streamDecoder();
    Sampler sampler = new Sampler(params.sampling(), prompt);
    List<String> stops = params.stops();
    float[] logits = first;
    StringBuilder pending = new StringBuilder();
    boolean rank = params.bestOf() > 1;
    boolean changes = !params.logitBias().isEmpty() || constraint != null;
    double logprob = 0;
    int pendingStart = 0; // where `pending` begins in the generated text
    List<Scored> waiting = new ArrayList<>();
    int generated = 0;
    String finish = "length";
    while (generated < max) {
      checkInterrupt();
      // the raw logits, kept apart when the bias or the grammar is about to change them in place
      float[] raw = changes || rank ? logits.clone() : logits;
      Logprobs dist = params.logprobs() ? Logprobs.of(raw) : null;
      for (var bias : params.logitBias().entrySet()) {
        logits[bias.getKey()] += bias.getValue();
      }
      if (constraint != null && constraint.mask(logits) == 0) {
        finish = "stop"; // nothing can continue the text (the vocabulary lacks what it needs)
        break;
      }
      int token = sampler.sample(logits);
      generated++;
      if (rank) {
        logprob += Perplexity.logSoftmax(raw, token);
      }
      if (tokenizer.isEndOfGeneration(token) || params.stopTokens().contains(token)) {
        finish = "stop";
        break;
      }
      if (constraint != null) {
        constraint.accept(token);
      }
      if (dist != null) {
        waiting.add(new Scored(token, dist, base + pendingStart + pending.length()));
      }
      pending.append(decoder.accept(token));
      int at = LocalProvider.firstStop(pending, stops);
      if (at >= 0) {
        release(emit, pending.substring(0, at), waiting, base + pendingStart + at);
        return new Result("stop", generated, logprob);
      }
      int safe = LocalProvider.safeLength(pending, stops);
      if (safe > 0) {
        release(emit, pending.substring(0, safe), waiting, base + pendingStart + safe);
        pending.delete(0, safe);
        pendingStart += safe;
      }
      if (generated < max) {
        // batched with the other requests decoding from this file (the same logits as alone)
        try {
          logits = m.batcher().step(seq, token);
          remember(new int[] {token});
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          checkInterrupt();
        }
      }
    }
    pending.append(decoder.finish());
    int at = LocalProvider.firstStop(pending, stops);
    if (at >= 0) {
      release(emit, pending.substring(0, at), waiting, base + pendingStart + at);
      return new Result("stop", generated, logprob);
    }
    release(emit, pending.toString(), waiting, Integer.MAX_VALUE);
    return new Result(finish, generated, logprob);
  }

  /**
   * The error for {@code what} of {@code tokens} tokens that does not fit the model's context:
   * CONTEXT_LENGTH, so the gateway can fall back to a model with a larger window.
   */
  static ProviderException tooLong(LocalProvider.Loaded m, String what, int tokens, String param) {
    return new ProviderException(
        Kind.CONTEXT_LENGTH,
        what
            + " is "
            + tokens
            + " tokens but the context of "
            + m.path().getFileName()
            + " is "
            + m.model().config().contextLength()
            + " tokens",
        "context_length_exceeded",
        param,
        0,
        null,
        null);
  }

  /** Emits {@code text} with the waiting tokens that begin before {@code end}. */
  private static void release(Emitter emit, String text, List<Scored> waiting, int end) {
    List<Scored> out = new ArrayList<>();
    while (!waiting.isEmpty() && waiting.getFirst().offset() < end) {
      out.add(waiting.removeFirst());
    }
    if (!text.isEmpty() || !out.isEmpty()) {
      emit.emit(text, out);
    }
  }

  private void checkInterrupt() {
    if (Thread.currentThread().isInterrupted()) {
      throw call.aborted(new InterruptedException("generation interrupted"), "local generation");
    }
  }
}
