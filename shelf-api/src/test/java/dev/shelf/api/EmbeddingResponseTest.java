package dev.shelf.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

class EmbeddingResponseTest {
  static final float[] VECTOR = {0.5f, -1.25f, 3.0e-7f, Float.MIN_NORMAL, 0.1f};

  @Test
  void base64IsLittleEndianFloat32AsOpenAiSendsIt() {
    String b64 = EmbeddingResponse.encode(VECTOR, true).textValue();
    byte[] bytes = Base64.getDecoder().decode(b64);
    assertThat(bytes).hasSize(VECTOR.length * 4);
    // 0.5f is 0x3F000000: little-endian puts the zero bytes first.
    assertThat(bytes[0]).isZero();
    assertThat(bytes[3]).isEqualTo((byte) 0x3F);
    ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : VECTOR) {
      assertThat(buf.getFloat()).isEqualTo(v);
    }
  }

  @Test
  void bothFormsDecodeToTheSameFloatsAfterAJsonRoundTrip() {
    for (boolean base64 : new boolean[] {false, true}) {
      var r =
          new EmbeddingResponse(
              List.of(new EmbeddingResponse.Item(0, EmbeddingResponse.encode(VECTOR, base64))),
              "m",
              7);
      EmbeddingResponse back = EmbeddingResponse.read(Json.parse(r.write()));
      assertThat(back.data().getFirst().floats()).containsExactly(VECTOR);
      assertThat(back.data().getFirst().embedding().isTextual()).isEqualTo(base64);
      assertThat(back.promptTokens()).isEqualTo(7);
    }
  }
}
