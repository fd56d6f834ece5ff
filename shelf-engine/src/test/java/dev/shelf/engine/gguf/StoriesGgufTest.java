package dev.shelf.engine.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reads the real stories260K fixture (llama2.c export converted by llama.cpp). The expected facts
 * were read from the file with an independent Python parser of the GGUF layout; see
 * ../shared/models/stories260k/README.md for the model's provenance.
 */
class StoriesGgufTest {
  private static GgufFile file;
  private static byte[] bytes;

  @BeforeAll
  static void open() throws IOException {
    Path path = SharedModels.stories260k();
    bytes = Files.readAllBytes(path);
    file = GgufFile.open(path);
  }

  @AfterAll
  static void close() {
    file.close();
  }

  @Test
  void headerAndLayout() {
    assertThat(file.version()).isEqualTo(3);
    assertThat(file.size()).isEqualTo(1_185_376L).isEqualTo(bytes.length);
    assertThat(file.alignment()).isEqualTo(32);
    assertThat(file.metadata().contains("general.alignment")).isFalse();
    assertThat(file.dataOffset()).isEqualTo(14_176L);
    assertThat(file.metadata().size()).isEqualTo(19);
    assertThat(file.tensors()).hasSize(48);
  }

  @Test
  void hyperParameters() {
    GgufMetadata m = file.metadata();
    assertThat(m.getString("general.architecture")).isEqualTo("llama");
    assertThat(m.getString("general.name")).isEqualTo("llama");
    assertThat(m.getInt("llama.embedding_length")).isEqualTo(64);
    assertThat(m.getInt("llama.block_count")).isEqualTo(5);
    assertThat(m.getInt("llama.attention.head_count")).isEqualTo(8);
    assertThat(m.getInt("llama.attention.head_count_kv")).isEqualTo(4);
    assertThat(m.getInt("llama.feed_forward_length")).isEqualTo(172);
    assertThat(m.getInt("llama.rope.dimension_count")).isEqualTo(8);
    assertThat(m.getFloat("llama.attention.layer_norm_rms_epsilon")).isEqualTo(1e-5f);
    // llama2.c's header says seq_len 512, but the converter wrote 128 here; the file is the fact.
    assertThat(m.getInt("llama.context_length")).isEqualTo(128);
    assertThat(m.get("llama.block_count").type()).isEqualTo(GgufValueType.UINT32);
  }

  @Test
  void tokenizer() {
    GgufMetadata m = file.metadata();
    assertThat(m.getString("tokenizer.ggml.model")).isEqualTo("llama");
    String[] tokens = m.getStringArray("tokenizer.ggml.tokens");
    assertThat(tokens).hasSize(512);
    assertThat(Arrays.copyOf(tokens, 5))
        .containsExactly("<unk>", "<s>", "</s>", "<0x00>", "<0x01>");
    assertThat(tokens[258]).isEqualTo("<0xFF>");
    assertThat(m.getFloatArray("tokenizer.ggml.scores")).hasSize(512);
    int[] types = m.getIntArray("tokenizer.ggml.token_type");
    assertThat(Arrays.copyOf(types, 5)).containsExactly(2, 3, 3, 6, 6);
    assertThat(m.get("tokenizer.ggml.token_type").elementType()).isEqualTo(GgufValueType.INT32);
    assertThat(m.getInt("tokenizer.ggml.bos_token_id")).isEqualTo(1);
    assertThat(m.getInt("tokenizer.ggml.eos_token_id")).isEqualTo(2);
    assertThat(m.getInt("tokenizer.ggml.unknown_token_id")).isEqualTo(0);
    // "no padding token" is written as UINT32 -1
    assertThat(m.getLong("tokenizer.ggml.padding_token_id")).isEqualTo(4_294_967_295L);
    assertThat(m.getString("tokenizer.ggml.pre", "default")).isEqualTo("default");
  }

  @Test
  void typedGettersNameTheKey() {
    GgufMetadata m = file.metadata();
    assertThatThrownBy(() -> m.getString("llama.rope.freq_base"))
        .isInstanceOf(GgufException.class)
        .hasMessageContaining("stories260K.gguf")
        .hasMessageContaining("'llama.rope.freq_base' is missing");
    assertThatThrownBy(() -> m.getInt("general.architecture"))
        .isInstanceOf(GgufException.class)
        .hasMessageContaining("'general.architecture' is STRING, expected an integer");
    assertThatThrownBy(() -> m.getString("llama.block_count"))
        .hasMessageContaining("'llama.block_count' is UINT32, expected STRING");
    assertThatThrownBy(() -> m.getFloatArray("tokenizer.ggml.tokens"))
        .hasMessageContaining(
            "'tokenizer.ggml.tokens' is an ARRAY of STRING, expected an ARRAY of FLOAT32");
    assertThatThrownBy(() -> m.getInt("tokenizer.ggml.padding_token_id"))
        .hasMessageContaining("'tokenizer.ggml.padding_token_id' is 4294967295 (UINT32)")
        .hasMessageContaining("does not fit in an int");
    assertThatThrownBy(() -> file.tensor("blk.5.attn_q.weight"))
        .isInstanceOf(GgufException.class)
        .hasMessageContaining("tensor 'blk.5.attn_q.weight' is missing");
  }

  @Test
  void tensorNamesAndShapes() {
    List<String> expected = new ArrayList<>();
    expected.add("token_embd.weight [64, 512]");
    expected.add("output_norm.weight [64]");
    expected.add("output.weight [64, 512]");
    for (int b = 0; b < 5; b++) {
      String p = "blk." + b + ".";
      expected.add(p + "attn_q.weight [64, 64]");
      expected.add(p + "attn_k.weight [64, 32]");
      expected.add(p + "attn_v.weight [64, 32]");
      expected.add(p + "attn_output.weight [64, 64]");
      expected.add(p + "attn_norm.weight [64]");
      expected.add(p + "ffn_gate.weight [64, 172]");
      expected.add(p + "ffn_down.weight [172, 64]");
      expected.add(p + "ffn_up.weight [64, 172]");
      expected.add(p + "ffn_norm.weight [64]");
    }
    assertThat(file.tensors())
        .extracting(t -> t.name() + " " + Arrays.toString(t.dims()))
        .containsExactlyElementsOf(expected);
    assertThat(file.tensors()).allSatisfy(t -> assertThat(t.type()).isEqualTo(GgmlType.F32));
    GgufTensorInfo embd = file.tensor("token_embd.weight");
    assertThat(embd.elementCount()).isEqualTo(64 * 512);
    assertThat(embd.byteSize()).isEqualTo(64 * 512 * 4);
    assertThat(file.tensor("blk.4.ffn_norm.weight").offset()).isEqualTo(1_170_944L);
  }

  @Test
  void tensorDataIsAlignedContiguousAndInsideTheFile() {
    long expectedOffset = 0;
    for (GgufTensorInfo t : file.tensors()) {
      assertThat(t.offset() % 32).as(t.name()).isZero();
      assertThat((file.dataOffset() + t.offset()) % 32).as(t.name()).isZero();
      assertThat(t.offset()).as(t.name()).isEqualTo(expectedOffset);
      assertThat(file.tensorData(t).byteSize()).isEqualTo(t.elementCount() * 4);
      expectedOffset = GgufParser.align(t.offset() + t.byteSize(), 32);
    }
    assertThat(file.dataOffset() + expectedOffset).isEqualTo(file.size());
  }

  @Test
  void tensorDataEqualsTheBytesInTheFile() {
    GgufTensorInfo t = file.tensor("blk.2.ffn_down.weight");
    MemorySegment data = file.tensorData(t);
    int start = (int) (file.dataOffset() + t.offset());
    byte[] expected = Arrays.copyOfRange(bytes, start, start + (int) t.byteSize());
    assertThat(data.toArray(ValueLayout.JAVA_BYTE)).isEqualTo(expected);
    assertThat(data.isReadOnly()).isTrue();
    float first =
        MemorySegment.ofArray(expected)
            .get(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
    assertThat(file.tensorData("blk.2.ffn_down.weight").get(GgufParser.F32, 0)).isEqualTo(first);
    float[] norm = file.tensorData("output_norm.weight").toArray(GgufParser.F32);
    assertThat(norm).hasSize(64);
    for (float v : norm) {
      assertThat(Float.isFinite(v)).isTrue();
    }
  }

  @Test
  void rewritingTheFileGivesTheSameBytes(@TempDir Path dir) throws IOException {
    GgufWriter writer = new GgufWriter().putAll(file.metadata());
    for (GgufTensorInfo t : file.tensors()) {
      writer.addTensor(t.name(), t.type(), t.dims(), file.tensorData(t));
    }
    Path out = dir.resolve("copy.gguf");
    writer.write(out);
    assertThat(Files.readAllBytes(out)).isEqualTo(bytes);
    assertThat(writer.toByteArray()).isEqualTo(bytes);
  }

  @Test
  void parsesFromMemoryToo() {
    GgufFile inMemory = GgufFile.parse(MemorySegment.ofArray(bytes), "in-memory");
    assertThat(inMemory.metadata().asMap()).isEqualTo(file.metadata().asMap());
    assertThat(inMemory.tensors()).isEqualTo(file.tensors());
    inMemory.close();
  }
}
