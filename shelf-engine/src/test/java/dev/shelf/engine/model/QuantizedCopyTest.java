package dev.shelf.engine.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shelf.engine.gguf.GgmlType;
import dev.shelf.engine.gguf.GgufFile;
import dev.shelf.engine.gguf.GgufTensorInfo;
import dev.shelf.engine.gguf.GgufWriter;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The stories260K weights requantised to Q8_0 (every 2-D tensor whose rows are whole blocks, as
 * llama.cpp's {@code llama-quantize} falls back for the others) still predict the same tokens: not
 * bit-exact, but the model's argmax along llama.cpp's greedy continuations, teacher-forced, agrees
 * almost everywhere (171 of 192 when this test was written: the fixture's weights do not make sense
 * of text and its two best logits are often within 1e-3 of each other).
 */
class QuantizedCopyTest {
  private static final ValueLayout.OfFloat F32 =
      ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  @Test
  void q8CopyPredictsTheSameTokens(@TempDir Path dir) throws IOException {
    Path copy = dir.resolve("stories260K-Q8_0.gguf");
    int quantised = 0;
    try (GgufFile f32 = GgufFile.open(StoriesFixture.gguf())) {
      GgufWriter writer = new GgufWriter().putAll(f32.metadata());
      for (GgufTensorInfo t : f32.tensors()) {
        MemorySegment data = f32.tensorData(t);
        if (t.rank() == 2 && t.dim(0) % 32 == 0) {
          writer.addTensor(t.name(), GgmlType.Q8_0, t.dims(), quantizeQ8(data));
          quantised++;
        } else {
          writer.addTensor(t.name(), t.type(), t.dims(), data);
        }
      }
      writer.write(copy);
    }
    assertThat(quantised).isEqualTo(2 + 5 * 6);

    List<?> cases =
        (List<?>)
            StoriesFixture.parseJson(
                Files.readString(StoriesFixture.dir().resolve("ref_greedy_continuations.json")));
    int agree = 0;
    int total = 0;
    try (GgufFile q8 = GgufFile.open(copy)) {
      LlamaModel model = LlamaModel.load(q8);
      assertThat(model.blocks[0].wq().type()).isEqualTo(GgmlType.Q8_0);
      for (Object c : cases) {
        int[] prompt = StoriesFixture.ints(StoriesFixture.field(c, "prompt_ids"));
        int[] expected = StoriesFixture.ints(StoriesFixture.field(c, "generated_ids"));
        LlamaSequence seq = model.newSequence(512);
        float[] logits = new float[0];
        for (int i = 0; i < prompt.length; i++) {
          logits = seq.forward(prompt[i], i);
        }
        for (int i = 0; i < expected.length; i++) {
          agree += LlamaSequence.argmax(logits) == expected[i] ? 1 : 0;
          total++;
          logits = seq.forward(expected[i], prompt.length + i);
        }
      }
    }
    assertThat((double) agree / total).as(agree + " of " + total).isGreaterThanOrEqualTo(0.85);
  }

  /** ggml's {@code quantize_row_q8_0_ref}: per 32 values, {@code d = max|x| / 127} and rounding. */
  static byte[] quantizeQ8(MemorySegment f32) {
    int n = (int) (f32.byteSize() / 4);
    byte[] out = new byte[n / 32 * 34];
    for (int b = 0; b < n / 32; b++) {
      float amax = 0f;
      for (int i = 0; i < 32; i++) {
        amax = Math.max(amax, Math.abs(f32.getAtIndex(F32, b * 32 + i)));
      }
      float d = amax / 127f;
      float id = d != 0f ? 1f / d : 0f;
      short h = Float.floatToFloat16(d);
      out[b * 34] = (byte) h;
      out[b * 34 + 1] = (byte) (h >> 8);
      for (int i = 0; i < 32; i++) {
        // roundf: halves away from zero
        float v = f32.getAtIndex(F32, b * 32 + i) * id;
        out[b * 34 + 2 + i] = (byte) Math.copySign(Math.round(Math.abs(v)), v);
      }
    }
    return out;
  }
}
