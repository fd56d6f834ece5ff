package dev.shelf.engine.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Write with {@link GgufWriter}, read with {@link GgufFile}, compare. */
class GgufRoundTripTest {
  /** Every metadata type: scalars at their extremes, arrays of every element type, nesting. */
  static GgufWriter everyMetadataType() {
    Random random = new Random(42);
    byte[] bytes = new byte[17];
    random.nextBytes(bytes);
    GgufWriter w = new GgufWriter();
    w.put("u8", GgufValue.uint8(255))
        .put("i8", GgufValue.int8(-128))
        .put("u16", GgufValue.uint16(65_535))
        .put("i16", GgufValue.int16(-32_768))
        .put("u32", GgufValue.uint32(4_294_967_295L))
        .put("i32", GgufValue.int32(Integer.MIN_VALUE))
        .put("u64", GgufValue.uint64(-1L))
        .put("i64", GgufValue.int64(Long.MIN_VALUE))
        .put("f32", GgufValue.float32(-1.5e-7f))
        .put("f32.nan", GgufValue.float32(Float.NaN))
        .put("f64", GgufValue.float64(Math.PI))
        .put("bool.true", GgufValue.bool(true))
        .put("bool.false", GgufValue.bool(false))
        .put("string", GgufValue.string("café 日本 🙂 \n\t\"quoted\""))
        .put("string.empty", GgufValue.string(""))
        .put("array.u8", GgufValue.array(GgufValueType.UINT8, bytes))
        .put("array.i8", GgufValue.array(GgufValueType.INT8, bytes))
        .put("array.u16", GgufValue.array(GgufValueType.UINT16, new short[] {0, -1, 12_345}))
        .put("array.i16", GgufValue.array(GgufValueType.INT16, new short[] {-32_768, 32_767}))
        .put("array.u32", GgufValue.array(GgufValueType.UINT32, new int[] {0, -1, 7}))
        .put("array.i32", GgufValue.int32Array(1, -2, Integer.MAX_VALUE))
        .put("array.u64", GgufValue.array(GgufValueType.UINT64, new long[] {-1L, 5L}))
        .put("array.i64", GgufValue.array(GgufValueType.INT64, new long[] {Long.MIN_VALUE, 0}))
        .put("array.f32", GgufValue.float32Array(0.5f, -0.0f, Float.POSITIVE_INFINITY))
        .put("array.f64", GgufValue.array(GgufValueType.FLOAT64, new double[] {1e300, -2}))
        .put("array.bool", GgufValue.array(GgufValueType.BOOL, new boolean[] {true, false}))
        .put("array.string", GgufValue.stringArray(List.of("a", "", "Ġ t", "<0x0A>", "ü")))
        .put("array.empty", GgufValue.array(GgufValueType.STRING, new String[0]))
        .put(
            "array.nested",
            GgufValue.array(
                GgufValueType.ARRAY,
                new GgufValue[] {
                  GgufValue.int32Array(1, 2, 3),
                  GgufValue.stringArray(List.of("x")),
                  GgufValue.array(
                      GgufValueType.ARRAY,
                      new GgufValue[] {GgufValue.float32Array(), GgufValue.int32Array(9)})
                }));
    return w;
  }

  @Test
  void everyMetadataTypeRoundTrips() {
    GgufWriter w = everyMetadataType();
    byte[] bytes = w.toByteArray();
    GgufFile file = GgufFile.parse(MemorySegment.ofArray(bytes), "meta.gguf");
    GgufMetadata m = file.metadata();
    assertThat(file.version()).isEqualTo(3);
    assertThat(file.tensors()).isEmpty();
    assertThat(file.size()).isEqualTo(bytes.length);
    assertThat(m.asMap())
        .isEqualTo(GgufFile.parse(MemorySegment.ofArray(bytes), "x").metadata().asMap());
    assertThat(m.keys()).first().isEqualTo("u8");
    assertThat(m.keys()).last().isEqualTo("array.nested");
    assertThat(m.size()).isEqualTo(29);
    // the reader's values equal the writer's, type for type
    GgufWriter again = new GgufWriter().putAll(m);
    assertThat(again.toByteArray()).isEqualTo(bytes);

    assertThat(m.getInt("u8")).isEqualTo(255);
    assertThat(m.getInt("i8")).isEqualTo(-128);
    assertThat(m.getInt("u16")).isEqualTo(65_535);
    assertThat(m.getInt("i16")).isEqualTo(-32_768);
    assertThat(m.getLong("u32")).isEqualTo(4_294_967_295L);
    assertThat(m.getInt("i32")).isEqualTo(Integer.MIN_VALUE);
    assertThat(m.get("u64").toString()).isEqualTo("UINT64 18446744073709551615");
    assertThat(m.getLong("i64")).isEqualTo(Long.MIN_VALUE);
    assertThat(m.getFloat("f32")).isEqualTo(-1.5e-7f);
    assertThat(m.getFloat("f32.nan")).isNaN();
    assertThat(m.getDouble("f64")).isEqualTo(Math.PI);
    assertThat(m.getBoolean("bool.true")).isTrue();
    assertThat(m.getBoolean("bool.false")).isFalse();
    assertThat(m.getString("string")).isEqualTo("café 日本 🙂 \n\t\"quoted\"");
    assertThat(m.getString("string.empty")).isEmpty();
    byte[] random = new byte[17];
    new Random(42).nextBytes(random);
    int[] u8 = m.getIntArray("array.u8");
    int[] i8 = m.getIntArray("array.i8");
    for (int i = 0; i < random.length; i++) {
      assertThat(u8[i]).isEqualTo(Byte.toUnsignedInt(random[i]));
      assertThat(i8[i]).isEqualTo(random[i]);
    }
    assertThat(m.getIntArray("array.u16")).containsExactly(0, 65_535, 12_345);
    assertThat(m.getIntArray("array.i16")).containsExactly(-32_768, 32_767);
    assertThat(m.getLongArray("array.u32")).containsExactly(0L, 4_294_967_295L, 7L);
    assertThat(m.getIntArray("array.i32")).containsExactly(1, -2, Integer.MAX_VALUE);
    assertThat(m.getLongArray("array.i64")).containsExactly(Long.MIN_VALUE, 0L);
    assertThat(m.getFloatArray("array.f32")).containsExactly(0.5f, -0.0f, Float.POSITIVE_INFINITY);
    assertThat(m.getFloatArray("array.f64")).containsExactly(Float.POSITIVE_INFINITY, -2f);
    assertThat(m.get("array.bool").elements())
        .containsExactly(GgufValue.bool(true), GgufValue.bool(false));
    assertThat(m.getStringArray("array.string")).containsExactly("a", "", "Ġ t", "<0x0A>", "ü");
    assertThat(m.getStringArray("array.empty")).isEmpty();
    List<GgufValue> nested = m.get("array.nested").elements();
    assertThat(nested).hasSize(3);
    assertThat(nested.get(0).asIntArray()).containsExactly(1, 2, 3);
    assertThat(nested.get(1).asStringArray()).containsExactly("x");
    assertThat(nested.get(2).elements().get(1).asIntArray()).containsExactly(9);
  }

  @Test
  void gettersRefuseValuesThatDoNotFit() {
    GgufMetadata m =
        GgufFile.parse(MemorySegment.ofArray(everyMetadataType().toByteArray()), "meta.gguf")
            .metadata();
    assertThatThrownBy(() -> m.getLong("u64"))
        .isInstanceOf(GgufException.class)
        .hasMessage(
            "meta.gguf: metadata key 'u64' is 18446744073709551615 (UINT64), which does not fit in a long");
    assertThatThrownBy(() -> m.getIntArray("array.u32"))
        .hasMessageContaining("'array.u32' element 1 is 4294967295 (UINT32)");
    assertThatThrownBy(() -> m.getBoolean("u8"))
        .hasMessage("meta.gguf: metadata key 'u8' is UINT8, expected BOOL");
    assertThatThrownBy(() -> m.getStringArray("array.nested"))
        .hasMessageContaining("is an ARRAY of ARRAY, expected an ARRAY of STRING");
    assertThatThrownBy(() -> m.getFloat("i32")).hasMessageContaining("expected FLOAT32 or FLOAT64");
  }

  @ParameterizedTest
  @EnumSource(GgmlType.class)
  void everyTensorTypeRoundTrips(GgmlType type, @TempDir Path dir) throws IOException {
    Random random = new Random(type.id());
    long[][] shapes = {{type.blockSize() * 2L, 3}, {type.blockSize()}, {type.blockSize(), 2, 3, 1}};
    List<byte[]> datas = new ArrayList<>();
    GgufWriter w = new GgufWriter().putString("general.architecture", "test");
    for (int i = 0; i < shapes.length; i++) {
      byte[] data = new byte[(int) type.byteSize(shapes[i])];
      random.nextBytes(data);
      datas.add(data);
      w.addTensor("t" + i, type, shapes[i], data);
    }
    Path path = dir.resolve(type + ".gguf");
    w.write(path);
    try (GgufFile file = GgufFile.open(path)) {
      assertThat(file.tensors()).hasSize(3);
      for (int i = 0; i < shapes.length; i++) {
        GgufTensorInfo t = file.tensors().get(i);
        assertThat(t.name()).isEqualTo("t" + i);
        assertThat(t.type()).isEqualTo(type);
        assertThat(t.dims()).containsExactly(shapes[i]);
        assertThat(t.offset() % 32).isZero();
        assertThat(t.byteSize())
            .isEqualTo(t.elementCount() / type.blockSize() * type.bytesPerBlock());
        assertThat(file.tensorData(t).toArray(ValueLayout.JAVA_BYTE)).isEqualTo(datas.get(i));
      }
    }
  }

  @Test
  void ggmlBlockLayoutsAreGgmls() {
    // ids from ggml.h enum ggml_type, sizes from ggml-common.h block structs
    assertThat(GgmlType.values())
        .extracting(t -> t + ":" + t.id() + ":" + t.blockSize() + ":" + t.bytesPerBlock())
        .containsExactly(
            "F32:0:1:4",
            "F16:1:1:2",
            "Q4_0:2:32:18",
            "Q4_1:3:32:20",
            "Q5_0:6:32:22",
            "Q5_1:7:32:24",
            "Q8_0:8:32:34",
            "Q4_K:12:256:144",
            "Q5_K:13:256:176",
            "Q6_K:14:256:210",
            "BF16:30:1:2");
    assertThat(GgmlType.byId(8)).isEqualTo(GgmlType.Q8_0);
    assertThat(GgmlType.byId(4)).isNull();
    assertThat(GgmlType.byId(-1)).isNull();
    assertThat(GgmlType.Q6_K.byteSize(4096, 32_000)).isEqualTo(4096L / 256 * 210 * 32_000);
    assertThatThrownBy(() -> GgmlType.of(10)).hasMessageContaining("Q2_K (id 10) is not supported");
    assertThatThrownBy(() -> GgmlType.of(1000)).hasMessageContaining("unknown ggml type id 1000");
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 32, 64, 4096})
  void alignmentIsHonoured(int alignment) {
    GgufWriter w = new GgufWriter().putUint32("general.alignment", alignment);
    w.addTensor("odd", GgmlType.F16, new long[] {3}, new byte[6]);
    w.addTensor("q", GgmlType.Q4_1, new long[] {32, 1}, new byte[20]);
    byte[] pattern = new byte[4 * 5];
    pattern[0] = 1;
    pattern[19] = 7;
    w.addTensor("f", GgmlType.F32, new long[] {5}, pattern);
    byte[] bytes = w.toByteArray();
    GgufFile file = GgufFile.parse(MemorySegment.ofArray(bytes), "aligned.gguf");
    assertThat(file.alignment()).isEqualTo(alignment);
    assertThat(file.dataOffset() % alignment).isZero();
    assertThat(file.tensors()).allSatisfy(t -> assertThat(t.offset() % alignment).isZero());
    assertThat(file.tensorData("f").toArray(ValueLayout.JAVA_BYTE)).isEqualTo(pattern);
    assertThat(file.size() % alignment).isZero();
  }

  @Test
  void aFillerWritesStraightIntoTheFile(@TempDir Path dir) throws IOException {
    GgufWriter w = new GgufWriter();
    w.addTensor(
        "ramp",
        GgmlType.F32,
        new long[] {64, 4},
        (MemorySegment target) -> {
          for (int i = 0; i < 256; i++) {
            target.setAtIndex(GgufParser.F32, i, i * 0.5f);
          }
        });
    Path path = dir.resolve("ramp.gguf");
    w.write(path);
    try (GgufFile file = GgufFile.open(path)) {
      assertThat(file.tensorData("ramp").getAtIndex(GgufParser.F32, 255)).isEqualTo(127.5f);
    }
  }

  @Test
  void writerRefusesBadTensors() {
    GgufWriter w = new GgufWriter();
    assertThatThrownBy(() -> w.addTensor("x", GgmlType.Q8_0, new long[] {32, 2}, new byte[67]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("tensor 'x': data has 67 bytes but Q8_0 [32, 2] takes 68");
    assertThatThrownBy(() -> w.addTensor("x", GgmlType.Q4_K, new long[] {128}, new byte[72]))
        .hasMessageContaining("row length 128 is not a multiple of the Q4_K block size 256");
    assertThatThrownBy(
            () -> w.addTensor("x", GgmlType.F32, new long[] {1, 1, 1, 1, 1}, new byte[4]))
        .hasMessageContaining("5 dimensions");
    assertThatThrownBy(() -> w.addTensor("x", GgmlType.F32, new long[] {-1}, new byte[0]))
        .hasMessageContaining("negative");
    assertThatThrownBy(() -> w.addTensor("x".repeat(64), GgmlType.F32, new long[] {1}, new byte[4]))
        .hasMessageContaining("1 to 63 bytes");
    w.addTensor("x", GgmlType.F32, new long[] {1}, new byte[4]);
    assertThatThrownBy(() -> w.addTensor("x", GgmlType.F32, new long[] {1}, new byte[4]))
        .hasMessageContaining("tensor 'x' is already added");
    w.putUint32("general.alignment", 48);
    assertThatThrownBy(w::toByteArray).hasMessageContaining("power of two but is UINT32 48");
  }

  @Test
  void valuesCheckTheirRanges() {
    assertThatThrownBy(() -> GgufValue.uint8(256))
        .hasMessage("UINT8 must be in [0, 255] but was 256");
    assertThatThrownBy(() -> GgufValue.int16(40_000)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> GgufValue.uint32(-1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> GgufValue.array(GgufValueType.UINT32, new long[1]))
        .hasMessage("an array of UINT32 is given as int[], not long[]");
    assertThatThrownBy(
            () -> GgufValue.array(GgufValueType.ARRAY, new GgufValue[] {GgufValue.int32(1)}))
        .hasMessageContaining("holds arrays only");
  }
}
