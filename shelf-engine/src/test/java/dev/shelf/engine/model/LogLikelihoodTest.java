package dev.shelf.engine.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.shelf.engine.gguf.GgufFile;
import dev.shelf.engine.tokenizer.Tokenizer;
import java.io.IOException;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Log-likelihood scoring on stories260K against independent forward passes. */
class LogLikelihoodTest {
  static GgufFile file;
  static LlamaModel model;
  static Tokenizer tokenizer;

  @BeforeAll
  static void open() throws IOException {
    file = GgufFile.open(StoriesFixture.gguf());
    model = LlamaModel.load(file);
    tokenizer = Tokenizer.fromGguf(file);
  }

  @AfterAll
  static void close() {
    file.close();
  }

  /**
   * The reference: for each continuation token, a fresh sequence fed the tokens before it one at a
   * time, and llama.cpp's log-softmax of the last logits.
   */
  static double reference(int[] context, int[] continuation, boolean[] greedy) {
    int[] all = concat(context, continuation);
    double sum = 0;
    greedy[0] = true;
    for (int i = context.length; i < all.length; i++) {
      LlamaSequence seq = model.newSequence(all.length);
      float[] logits = new float[0];
      for (int p = 0; p < i; p++) {
        logits = seq.forward(all[p], p);
      }
      sum += Perplexity.logSoftmax(logits, all[i]);
      greedy[0] &= LlamaSequence.argmax(logits) == all[i];
    }
    return sum;
  }

  static int[] concat(int[] a, int[] b) {
    int[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  @Test
  void aScoreIsTheSumOfPerTokenLogSoftmaxOfIndependentPasses() {
    int[] context = tokenizer.encode("Once upon a time, there was a little girl", true);
    int[] continuation = tokenizer.encode(" named Lily. She liked to play", false);
    LogLikelihood scorer = new LogLikelihood(model, 256);
    LogLikelihood.Result r = scorer.score(context, continuation);
    boolean[] greedy = new boolean[1];
    double expected = reference(context, continuation, greedy);
    assertThat(r.logLikelihood()).isCloseTo(expected, org.assertj.core.data.Offset.offset(1e-6));
    assertThat(r.logLikelihood()).isNegative();
    assertThat(r.greedy()).isEqualTo(greedy[0]);
    assertThat(r.tokenLogprobs()).hasSize(continuation.length);
    assertThat(Arrays.stream(r.tokenLogprobs()).sum())
        .isCloseTo(r.logLikelihood(), org.assertj.core.data.Offset.offset(1e-9));
  }

  @Test
  void theGreedyContinuationIsGreedyAndOthersAreNot() {
    int[] context = tokenizer.encode("Once upon a time", true);
    int[] greedy = model.newSequence(64).generate(context, 6);
    LogLikelihood scorer = new LogLikelihood(model, 64);
    LogLikelihood.Result best = scorer.score(context, greedy);
    assertThat(best.greedy()).isTrue();
    int[] other = greedy.clone();
    other[2] = (other[2] + 1) % model.config().vocabSize();
    LogLikelihood.Result worse = scorer.score(context, other);
    assertThat(worse.greedy()).isFalse();
    assertThat(worse.logLikelihood()).isLessThan(best.logLikelihood());
  }

  @Test
  void reusingThePrefixGivesTheSameScoresAsAFreshScorer() {
    int[] context = tokenizer.encode("The cat sat on the mat and the dog", true);
    String[] choices = {" ran", " slept all day", " A", " B", " ran away"};
    LogLikelihood shared = new LogLikelihood(model, 128);
    for (String c : choices) {
      int[] continuation = tokenizer.encode(c, false);
      LogLikelihood.Result reused = shared.score(context, continuation);
      LogLikelihood.Result fresh = new LogLikelihood(model, 128).score(context, continuation);
      assertThat(reused.logLikelihood()).isEqualTo(fresh.logLikelihood());
      assertThat(reused.greedy()).isEqualTo(fresh.greedy());
    }
    // the context stays cached between choices
    assertThat(shared.cachedPrefix(concat(context, new int[] {1})))
        .isGreaterThanOrEqualTo(context.length);
  }

  @Test
  void aLongTextSpansSeveralPasses() {
    int[] context = new int[300];
    context[0] = tokenizer.bos();
    int[] text = tokenizer.encode("One day, a boy went to the park to play. ".repeat(30), false);
    System.arraycopy(text, 0, context, 1, 299);
    int[] continuation = Arrays.copyOfRange(text, 299, 303);
    LogLikelihood.Result r = new LogLikelihood(model, 512).score(context, continuation);
    // the reference fed one token at a time, once
    LlamaSequence seq = model.newSequence(512);
    int[] all = concat(context, continuation);
    double sum = 0;
    for (int p = 0; p < all.length - 1; p++) {
      float[] logits = seq.forward(all[p], p);
      if (p >= context.length - 1) {
        sum += Perplexity.logSoftmax(logits, all[p + 1]);
      }
    }
    assertThat(r.logLikelihood()).isCloseTo(sum, org.assertj.core.data.Offset.offset(1e-6));
  }

  @Test
  void emptyPartsAndOverlongTextsAreRefused() {
    LogLikelihood scorer = new LogLikelihood(model, 8);
    assertThatThrownBy(() -> scorer.score(new int[0], new int[] {5}))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> scorer.score(new int[] {1}, new int[0]))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> scorer.score(new int[] {1, 2, 3, 4, 5}, new int[] {6, 7, 8, 9, 10}))
        .isInstanceOf(ContextOverflowException.class);
  }
}
