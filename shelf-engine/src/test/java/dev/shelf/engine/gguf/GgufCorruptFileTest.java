package dev.shelf.engine.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Damaged files fail with a {@link GgufException} that says what is wrong and where, never with an
 * {@code IndexOutOfBoundsException} or a crash. Offsets into stories260K.gguf were read with an
 * independent Python parser: key #0 ('tokenizer.ggml.tokens') at 24, its value at 53 (value type
 * 53, element type 57, count 61, first string length 69); tensor info #0 ('token_embd.weight') at
 * 11347 (n_dims 11372, type 11392, offset 11396); data section at 14176.
 */
class GgufCorruptFileTest {
  private static byte[] stories;

  @BeforeAll
  static void read() throws IOException {
    stories = Files.readAllBytes(SharedModels.stories260k());
  }

  private static AbstractThrowableAssert<?, ? extends Throwable> assertParse(byte[] bytes) {
    return assertThatThrownBy(() -> GgufFile.parse(MemorySegment.ofArray(bytes), "bad.gguf"))
        .isInstanceOf(GgufException.class)
        .hasMessageStartingWith("bad.gguf: ");
  }

  private static byte[] patched(int offset, long value, int width) {
    byte[] copy = stories.clone();
    ByteBuffer buffer = ByteBuffer.wrap(copy).order(ByteOrder.LITTLE_ENDIAN);
    if (width == 4) {
      buffer.putInt(offset, (int) value);
    } else {
      buffer.putLong(offset, value);
    }
    return copy;
  }

  @ParameterizedTest(name = "cut at {0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "0     | truncated: 4 bytes needed but the file ends at 0 (reading the header at offset 0)",
        "3     | (reading the header at offset 0)",
        "6     | truncated: 4 bytes needed but the file ends at 6 (reading the header at offset 4)",
        "12    | (reading the tensor count at offset 8)",
        "20    | (reading the metadata count at offset 16)",
        "1000  | tensor count 48 is impossible with 984 bytes left in the file (reading the tensor count at offset 8)",
        "1700  | 48 tensors and 19 metadata keys cannot fit in the 1676 bytes left (reading the header at offset 24)",
        "3000  | an array of 512 STRING elements cannot fit",
        "6400  | of the value of metadata key 'tokenizer.ggml.tokens' at offset 63",
        "7000  | (reading the value of metadata key 'tokenizer.ggml.scores' at offset 6507)",
        "10700 | string length 5 exceeds the 0 bytes left in the file (reading the value of metadata key 'tokenizer.ggml.model' at offset 10692)",
        "11340 | (reading the value of metadata key 'llama.attention.layer_norm_rms_epsilon' at offset 11339)",
        "11360 | (reading tensor info #0 at offset 11347)",
        "11440 | (reading tensor 'output_norm.weight' at offset 11434)",
        "14160 | the data of tensor 'token_embd.weight' (131072 bytes of F32) spans file offsets [14176, 145248) but the file ends at 14160",
        "1185375 | the data of tensor 'blk.4.ffn_norm.weight' (256 bytes of F32) spans file offsets [1185120, 1185376) but the file ends at 1185375",
      })
  void truncatedFilesSayWhereTheyEnd(int cut, String message) {
    assertParse(Arrays.copyOf(stories, cut)).hasMessageContaining(message);
  }

  @Test
  void everyPrefixOfASmallFileFailsCleanly() {
    GgufWriter w = GgufRoundTripTest.everyMetadataType();
    w.addTensor("a", GgmlType.Q4_0, new long[] {32, 2}, new byte[36]);
    w.addTensor("b", GgmlType.F16, new long[] {3}, new byte[6]);
    byte[] bytes = w.toByteArray();
    GgufFile whole = GgufFile.parse(MemorySegment.ofArray(bytes), "whole");
    GgufTensorInfo last = whole.tensor("b");
    long end = whole.dataOffset() + last.offset() + last.byteSize();
    assertThat(bytes.length - end).as("padding after the last tensor").isEqualTo(26);
    for (int cut = 0; cut < end; cut++) {
      byte[] prefix = Arrays.copyOf(bytes, cut);
      assertThatThrownBy(() -> GgufFile.parse(MemorySegment.ofArray(prefix), "cut"))
          .as("cut at %d of %d", cut, bytes.length)
          .isInstanceOf(GgufException.class);
    }
    // the padding after the last tensor is not needed to read it
    assertThat(
            GgufFile.parse(MemorySegment.ofArray(Arrays.copyOf(bytes, (int) end)), "x").tensors())
        .hasSize(2);
  }

  @Test
  void randomCorruptionNeverEscapesAsAnotherException() {
    GgufWriter w = GgufRoundTripTest.everyMetadataType();
    w.addTensor("a", GgmlType.Q6_K, new long[] {256}, new byte[210]);
    byte[] small = w.toByteArray();
    Random random = new Random(7);
    for (int i = 0; i < 3000; i++) {
      byte[] copy = small.clone();
      for (int flips = 1 + random.nextInt(4); flips > 0; flips--) {
        int at = random.nextInt(copy.length - 210);
        copy[at] = random.nextInt(3) == 0 ? (byte) 0xFF : (byte) random.nextInt(256);
      }
      parseOrGgufException(copy, i);
    }
    for (int i = 0; i < 200; i++) {
      byte[] copy = stories.clone();
      copy[random.nextInt(14_176)] = (byte) random.nextInt(256);
      parseOrGgufException(copy, i);
    }
  }

  private static void parseOrGgufException(byte[] bytes, int iteration) {
    try {
      GgufFile.parse(MemorySegment.ofArray(bytes), "fuzz").metadata();
    } catch (GgufException expected) {
      assertThat(expected.getMessage()).startsWith("fuzz: ");
    } catch (RuntimeException | Error e) {
      fail("iteration " + iteration + " escaped as " + e, e);
    }
  }

  @Test
  void badMagic() {
    byte[] copy = stories.clone();
    System.arraycopy("GGML".getBytes(StandardCharsets.US_ASCII), 0, copy, 0, 4);
    assertParse(copy)
        .hasMessage(
            "bad.gguf: bad magic \"GGML\" (0x4c4d4747), expected \"GGUF\": not a GGUF file"
                + " (reading the header at offset 0)");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "1          | unsupported GGUF version 1 (supported: 2, 3)",
        "4          | unsupported GGUF version 4 (supported: 2, 3)",
        "-1         | unsupported GGUF version 4294967295",
        "50331648   | big-endian GGUF files are not supported",
      })
  void unsupportedVersions(int version, String message) {
    assertParse(patched(4, version, 4))
        .hasMessageContaining(message)
        .hasMessageContaining("offset 4");
  }

  @Test
  void versionTwoReads() {
    GgufFile file = GgufFile.parse(MemorySegment.ofArray(patched(4, 2, 4)), "v2");
    assertThat(file.version()).isEqualTo(2);
    assertThat(file.tensors()).hasSize(48);
  }

  @Test
  void unknownTensorTypeNamesTheTensor() {
    assertParse(patched(11_392, 99, 4))
        .hasMessageContaining("unknown ggml type id 99; supported: F32, F16, Q4_0")
        .hasMessageContaining("(reading tensor 'token_embd.weight' at offset 11392)");
    assertParse(patched(11_392, 10, 4))
        .hasMessageContaining("ggml type Q2_K (id 10) is not supported")
        .hasMessageContaining("token_embd.weight");
  }

  @Test
  void absurdLengthsAndCounts() {
    assertParse(patched(24, 1L << 40, 8))
        .hasMessageContaining("string length 1099511627776 exceeds the 1185344 bytes left")
        .hasMessageContaining("(reading metadata key #0 at offset 24)");
    assertParse(patched(24, -1L, 8)).hasMessageContaining("string length 18446744073709551615");
    assertParse(patched(69, 2_000_000, 8))
        .hasMessageContaining("string length 2000000 exceeds the 1185299 bytes left")
        .hasMessageContaining(
            "(reading element 0 of the value of metadata key 'tokenizer.ggml.tokens' at offset 69)");
    assertParse(patched(61, 1L << 50, 8))
        .hasMessageContaining("an array of 1125899906842624 STRING elements cannot fit")
        .hasMessageContaining("'tokenizer.ggml.tokens' at offset 61");
    assertParse(patched(8, Long.MAX_VALUE, 8))
        .hasMessageContaining("tensor count 9223372036854775807 is impossible");
    assertParse(patched(16, 1L << 33, 8)).hasMessageContaining("metadata count 8589934592");
    assertParse(patched(53, 77, 4))
        .hasMessageContaining("unknown metadata value type id 77")
        .hasMessageContaining("'tokenizer.ggml.tokens' at offset 53");
    assertParse(patched(57, 13, 4)).hasMessageContaining("unknown metadata value type id 13");
  }

  @Test
  void badTensorInfos() {
    assertParse(patched(11_372, 5, 4))
        .hasMessageContaining("tensor has 5 dimensions; 1 to 4 are allowed")
        .hasMessageContaining("tensor 'token_embd.weight'");
    assertParse(patched(11_396, 4, 8))
        .hasMessage(
            "bad.gguf: tensor 'token_embd.weight' has data offset 4, not a multiple of the alignment 32");
    assertParse(patched(11_396, 1L << 40, 8))
        .hasMessageContaining("truncated: the data of tensor 'token_embd.weight'")
        .hasMessageContaining("spans file offsets [1099511641952, 1099511773024)");
    assertParse(patched(11_396, -32, 8))
        .hasMessageContaining("data offset 18446744073709551584 is too large");
    assertParse(patched(11_376, -5, 8)).hasMessageContaining("dimension 0 is 18446744073709551611");
    assertParse(patched(11_376, 1L << 40, 8))
        .hasMessageContaining("the data of tensor 'token_embd.weight'");
  }

  @Test
  void rowsMustBeWholeBlocks() {
    byte[] bytes =
        new GgufWriter()
            .addTensor("q", GgmlType.Q8_0, new long[] {32, 1}, new byte[34])
            .toByteArray();
    int dimAt = 24 + 8 + 1 + 4; // header, name length, "q", n_dims
    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(dimAt, 16);
    assertThatThrownBy(() -> GgufFile.parse(MemorySegment.ofArray(bytes), "q.gguf"))
        .hasMessageContaining("row length 16 is not a multiple of the Q8_0 block size 32")
        .hasMessageContaining("tensor 'q'");
  }

  @Test
  void duplicatesAndBadAlignment() {
    byte[] keys =
        new GgufWriter()
            .put("aaaa", GgufValue.uint8(1))
            .put("bbbb", GgufValue.uint8(2))
            .toByteArray();
    System.arraycopy(
        "aaaa".getBytes(StandardCharsets.US_ASCII), 0, keys, 24 + 8 + 4 + 4 + 1 + 8, 4);
    assertThatThrownBy(() -> GgufFile.parse(MemorySegment.ofArray(keys), "dup.gguf"))
        .hasMessageContaining(
            "duplicate metadata key 'aaaa' (reading metadata key #1 at offset 41)");

    byte[] tensors =
        new GgufWriter()
            .addTensor("aa", GgmlType.F32, new long[] {1}, new byte[4])
            .addTensor("bb", GgmlType.F32, new long[] {1}, new byte[4])
            .toByteArray();
    int second = 24 + (8 + 2 + 4 + 8 + 4 + 8);
    tensors[second + 8] = 'a';
    tensors[second + 9] = 'a';
    assertThatThrownBy(() -> GgufFile.parse(MemorySegment.ofArray(tensors), "dup.gguf"))
        .hasMessageContaining("duplicate tensor name 'aa'");

    byte[] aligned = new GgufWriter().putUint32("general.alignment", 64).toByteArray();
    ByteBuffer.wrap(aligned).order(ByteOrder.LITTLE_ENDIAN).putInt(24 + 8 + 17 + 4, 48);
    assertThatThrownBy(() -> GgufFile.parse(MemorySegment.ofArray(aligned), "align.gguf"))
        .hasMessage("align.gguf: general.alignment must be a power of two but is UINT32 48");
  }

  @Test
  void deepNestingIsRefused() {
    ByteBuffer b = ByteBuffer.allocate(1024).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(GgufParser.MAGIC).putInt(3).putLong(0).putLong(1);
    b.putLong(1).put((byte) 'k').putInt(GgufValueType.ARRAY.id());
    for (int i = 0; i < 40; i++) {
      b.putInt(GgufValueType.ARRAY.id()).putLong(1);
    }
    b.putInt(GgufValueType.INT32.id()).putLong(0);
    byte[] bytes = Arrays.copyOf(b.array(), b.position());
    assertThatThrownBy(() -> GgufFile.parse(MemorySegment.ofArray(bytes), "deep.gguf"))
        .hasMessageContaining("arrays nested deeper than 32 levels")
        .hasMessageContaining("metadata key 'k'");
  }

  @Test
  void emptyAndMissingFiles(@TempDir Path dir) throws IOException {
    Path empty = Files.createFile(dir.resolve("empty.gguf"));
    assertThatThrownBy(() -> GgufFile.open(empty))
        .isInstanceOf(GgufException.class)
        .hasMessageContaining("empty.gguf: truncated: 4 bytes needed but the file ends at 0");
    assertThatThrownBy(() -> GgufFile.open(dir.resolve("missing.gguf")))
        .isInstanceOf(NoSuchFileException.class);
  }
}
