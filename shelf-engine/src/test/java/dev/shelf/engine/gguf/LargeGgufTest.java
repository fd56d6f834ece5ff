package dev.shelf.engine.gguf;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A file over 2 GB (and a tensor over 2 GB) is written and read back through the mapping. The
 * writer touches only the pages it fills, so on file systems with sparse files (ext4, xfs, tmpfs)
 * the test costs a few megabytes of disk and well under a second.
 */
class LargeGgufTest {
  @Test
  void filesAndTensorsOverTwoGigabytes(@TempDir Path dir) throws IOException {
    long rows = 10_000;
    long cols = 1L << 16; // 2.62 GB of F32
    Path path = dir.resolve("large.gguf");
    new GgufWriter()
        .putString("general.architecture", "large")
        .addTensor("small", GgmlType.Q8_0, new long[] {32}, new byte[34])
        .addTensor(
            "huge",
            GgmlType.F32,
            new long[] {cols, rows},
            (MemorySegment target) -> {
              target.setAtIndex(GgufParser.F32, 0, 1.25f);
              target.setAtIndex(GgufParser.F32, rows * cols - 1, -3.5f);
            })
        .write(path);
    assertThat(Files.size(path)).isGreaterThan(Integer.MAX_VALUE * 1L + 1);

    try (GgufFile file = GgufFile.open(path)) {
      GgufTensorInfo huge = file.tensor("huge");
      assertThat(huge.byteSize()).isEqualTo(rows * cols * 4);
      MemorySegment data = file.tensorData(huge);
      assertThat(data.byteSize()).isEqualTo(rows * cols * 4);
      assertThat(data.getAtIndex(GgufParser.F32, 0)).isEqualTo(1.25f);
      assertThat(data.getAtIndex(GgufParser.F32, rows * cols - 1)).isEqualTo(-3.5f);
      assertThat(file.dataOffset() + huge.offset() + huge.byteSize()).isEqualTo(file.size());
    }
  }
}
