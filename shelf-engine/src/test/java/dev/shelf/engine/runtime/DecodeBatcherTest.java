package dev.shelf.engine.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.shelf.engine.gguf.GgufFile;
import dev.shelf.engine.model.LlamaModel;
import dev.shelf.engine.model.LlamaSequence;
import dev.shelf.engine.testing.SharedFixtures;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** Concurrent requests through the batcher generate exactly what each generates alone. */
class DecodeBatcherTest {
  @Test
  void concurrentSequencesGenerateWhatTheyGenerateAlone() throws Exception {
    try (GgufFile file =
            GgufFile.open(SharedFixtures.models().resolve("stories260k/stories260K.gguf"));
        ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      LlamaModel model = LlamaModel.load(file);
      int streams = 6;
      int n = 40;
      List<int[]> alone = new ArrayList<>();
      for (int s = 0; s < streams; s++) {
        alone.add(model.newSequence(64).generate(new int[] {1, 10 + s, 20 + 3 * s}, n));
      }
      try (DecodeBatcher batcher = new DecodeBatcher(model, 4)) {
        CountDownLatch start = new CountDownLatch(1);
        List<Future<int[]>> results = new ArrayList<>();
        for (int s = 0; s < streams; s++) {
          int[] prompt = {1, 10 + s, 20 + 3 * s};
          results.add(
              pool.submit(
                  () -> {
                    start.await();
                    LlamaSequence seq = model.newSequence(64);
                    float[] logits = seq.prefill(prompt, 0);
                    int[] out = new int[n];
                    for (int i = 0; i < n; i++) {
                      out[i] = LlamaSequence.argmax(logits);
                      if (i + 1 < n) {
                        logits = batcher.step(seq, out[i]);
                      }
                    }
                    return out;
                  }));
        }
        start.countDown();
        for (int s = 0; s < streams; s++) {
          assertThat(results.get(s).get()).as("stream %d", s).containsExactly(alone.get(s));
        }
        LlamaSequence full = model.newSequence(1);
        full.forward(1, 0);
        assertThatThrownBy(() -> batcher.step(full, 1)).hasMessageContaining("beyond the context");
        assertThatThrownBy(() -> batcher.step(model.newSequence(4), 512))
            .hasMessage("token must be in [0, 512) but was 512");
      }
    }
  }
}
