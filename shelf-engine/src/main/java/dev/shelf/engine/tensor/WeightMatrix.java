package dev.shelf.engine.tensor;

import dev.shelf.engine.gguf.GgmlType;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Objects;
import jdk.incubator.vector.FloatVector;
import org.jspecify.annotations.Nullable;

/**
 * A read-only matrix of weights in a ggml tensor type, viewed in place over a {@link MemorySegment}
 * (usually a slice of a memory-mapped GGUF file): {@code rows} rows of {@code cols} elements, row
 * major, each row a run of ggml blocks. A GGUF tensor of dims {@code [cols, rows]} is such a
 * matrix.
 *
 * <h2>Kernels</h2>
 *
 * Each subclass (one per type) decodes its blocks twice, as a scalar loop ({@link #dequantizeRow},
 * ggml's reference) and with the Vector API, and fuses the vector decoding into the dot product
 * ({@code dotVector}). {@link #matvec} runs the fused kernel row by row; {@link #matmul} multiplies
 * several vectors in one pass over the weights: it decodes a tile of {@value #ROWS} rows by {@link
 * #tile} elements into a small array once and runs every input over it.
 *
 * <h2>One arithmetic</h2>
 *
 * {@code row . x = sum_i w_i x_i}, with {@code w_i} exactly the float {@link #dequantizeRow} gives,
 * added as a fused multiply-add per vector lane in element order into two accumulators (vectors
 * {@code 0, 2, 4, ...} of the row into one, {@code 1, 3, 5, ...} into the other), the two added
 * lane by lane and the lanes summed in a fixed tree order ({@link VectorLanes#sum(FloatVector)});
 * the scalar twin adds in element order. Two chains of additions instead of one let a core start a
 * multiply-add before the previous one has finished: the Q8_0 and Q4_0 row kernels ran about twice
 * as fast for it. The fused and the tiled kernels follow this order exactly, so for one {@link
 * Simd} a vector's result is the same float whether it runs alone or in a batch: batching never
 * changes a sequence's logits. The scalar twin and each vector width differ only in the order of
 * the additions; the decoding itself is exact everywhere.
 *
 * <h2>Panels</h2>
 *
 * A vector matrix wider than {@value #PANEL_ABOVE} columns (a model's {@code ffn_down}) is copied
 * at load into panels of {@value #PANEL} columns, each panel's rows one after another, and each
 * product is the sum of the panels' products, added panel by panel. Decoding reads every weight
 * once from memory, and the row kernel reads {@code x} once per row: with 8192 columns {@code x} is
 * 32 KB, which the streaming weights push out of a 48 KB L1 cache; with 2048 it is 8 KB and stays.
 * Measured on an AMD EPYC (Zen 5, two threads, weights streaming from memory), the Q4_0 row kernel
 * ran 2048-column matrices at 80-90 GFLOP/s and 8192-column ones at 53-56; cutting each row's dot
 * product into pieces without the copy, so that a thread jumped from row to row, was slower still
 * (27), since the hardware prefetches sequential runs. Batched and unbatched products go through
 * the same panels, so they still agree bit for bit; against the plain layout (and the scalar twin)
 * only the order of additions differs. {@code -Dshelf.panels=false} turns the copy off.
 *
 * <p>Instances are immutable and thread-safe; the weights must not change while in use. The JVM
 * must run with {@code --add-modules jdk.incubator.vector} (even for the scalar twin, whose classes
 * hold the vector code too); {@link #of} says so plainly when it does not.
 */
public abstract sealed class WeightMatrix
    permits F32Matrix,
        F16Matrix,
        Bf16Matrix,
        Q8_0Matrix,
        Q4_0Matrix,
        Q4_1Matrix,
        Q5_0Matrix,
        Q5_1Matrix,
        Q4KMatrix,
        Q5KMatrix,
        Q6KMatrix {

  /**
   * Elements of a row decoded at a time by {@link #matmul} ({@link #tile} doubles it for the 4- and
   * 5-bit types): a multiple of every block size.
   */
  static final int TILE = 512;

  /**
   * Floats of scratch the vector kernels get beyond the lanes they sum in: room for the decoded
   * sub-block scales and mins of one block, and one decoded block of 256 weights after them.
   */
  static final int SCRATCH = 16 + 256;

  /** Rows that {@link #matmul} decodes together and runs each input over. */
  static final int ROWS = 4;

  /** Columns of a panel (see the class notes): a multiple of every block size. */
  static final int PANEL = 2048;

  /** The weights in a piece of a split {@link #matvec}: see {@link #pieceRows}. */
  static final long PIECE_WEIGHTS = 1 << 21;

  /** Vector matrices with more columns than this are copied into panels of {@value #PANEL}. */
  static final int PANEL_ABOVE = 4096;

  /** {@code -Dshelf.panels=false} keeps every matrix in the file's layout. */
  public static final String PANELS_PROPERTY = "shelf.panels";

  private static final System.Logger LOG = System.getLogger("shelf.engine");

  final MemorySegment data;
  final int cols;
  final long rowBytes;
  private final GgmlType type;
  private final int rows;
  private final Simd simd;

  /**
   * The same weights cut into column panels, each a matrix of its own over a copy laid out panel
   * after panel; null when the matrix is used as it lies in {@link #data}.
   */
  private final WeightMatrix @Nullable [] panels;

  WeightMatrix(
      GgmlType type,
      MemorySegment data,
      int rows,
      int cols,
      Simd simd,
      WeightMatrix @Nullable [] panels) {
    if (rows < 0 || cols <= 0) {
      throw new IllegalArgumentException(
          "a " + type + " matrix needs rows >= 0 and cols >= 1 but was " + rows + " x " + cols);
    }
    if (cols % type.blockSize() != 0) {
      throw new IllegalArgumentException(
          "cols must be a multiple of the "
              + type
              + " block size "
              + type.blockSize()
              + " but was "
              + cols);
    }
    if (simd.isVector() && simd.bits() != Simd.vectorBits()) {
      throw new IllegalArgumentException(
          "this JVM runs the vector kernels at "
              + Simd.vectorBits()
              + " bits but "
              + simd
              + " was asked for; the width is fixed at startup by -D"
              + Simd.PROPERTY
              + "=128|256|512");
    }
    this.type = type;
    this.data = data;
    this.rows = rows;
    this.cols = cols;
    this.simd = simd;
    this.panels = panels;
    this.rowBytes = (long) (cols / type.blockSize()) * type.bytesPerBlock();
    long need = rowBytes * rows;
    if (data.byteSize() < need) {
      throw new IllegalArgumentException(
          "a "
              + rows
              + " x "
              + cols
              + " "
              + type
              + " matrix needs "
              + need
              + " bytes but the segment has "
              + data.byteSize());
    }
  }

  /** A view with the {@linkplain Simd#defaults() default} kernels. */
  public static WeightMatrix of(GgmlType type, MemorySegment data, int rows, int cols) {
    return of(type, data, rows, cols, Simd.defaults());
  }

  /**
   * A view of {@code data} as a {@code rows x cols} matrix of {@code type}.
   *
   * @throws IllegalArgumentException if the shape is negative, {@code cols} is not a whole number
   *     of blocks, or the segment is too small
   * @throws IllegalStateException if the JVM runs without {@code jdk.incubator.vector}
   */
  public static WeightMatrix of(GgmlType type, MemorySegment data, int rows, int cols, Simd simd) {
    boolean wide =
        cols > PANEL_ABOVE && Boolean.parseBoolean(System.getProperty(PANELS_PROPERTY, "true"));
    return of(type, data, rows, cols, simd, wide ? PANEL : cols);
  }

  /**
   * {@link #of(GgmlType, MemorySegment, int, int, Simd)} with panels of {@code panel} columns (a
   * whole number of blocks) when the kernels are vector ones and {@code panel < cols}.
   */
  static WeightMatrix of(
      GgmlType type, MemorySegment data, int rows, int cols, Simd simd, int panel) {
    Simd.requireVectorModule();
    JitDirectives.installed();
    if (!simd.isVector() || panel >= cols || rows == 0) {
      return create(type, data, rows, cols, simd, null);
    }
    if (panel <= 0 || panel % type.blockSize() != 0) {
      throw new IllegalArgumentException(
          "a panel must be a whole number of " + type + " blocks but was " + panel + " columns");
    }
    // The shape checked by a scalar view's constructor before anything is copied: a vector view
    // of a type whose scales are decoded at load would decode them for nothing.
    WeightMatrix shape = create(type, data, rows, cols, Simd.SCALAR, null);
    WeightMatrix[] panels;
    try {
      panels = panels(type, data, rows, cols, simd, panel);
    } catch (IOException e) {
      LOG.log(
          System.Logger.Level.WARNING,
          "could not copy the "
              + type
              + " "
              + shape.rows
              + " x "
              + shape.cols
              + " matrix into panels; it runs as it lies in the file: "
              + e);
      return create(type, data, rows, cols, simd, null);
    }
    return create(type, data, rows, cols, simd, panels);
  }

  private static WeightMatrix create(
      GgmlType type,
      MemorySegment data,
      int rows,
      int cols,
      Simd simd,
      WeightMatrix @Nullable [] panels) {
    return switch (type) {
      case F32 -> new F32Matrix(data, rows, cols, simd, panels);
      case F16 -> new F16Matrix(data, rows, cols, simd, panels);
      case BF16 -> new Bf16Matrix(data, rows, cols, simd, panels);
      case Q8_0 -> new Q8_0Matrix(data, rows, cols, simd, panels);
      case Q4_0 -> new Q4_0Matrix(data, rows, cols, simd, panels);
      case Q4_1 -> new Q4_1Matrix(data, rows, cols, simd, panels);
      case Q5_0 -> new Q5_0Matrix(data, rows, cols, simd, panels);
      case Q5_1 -> new Q5_1Matrix(data, rows, cols, simd, panels);
      case Q4_K -> new Q4KMatrix(data, rows, cols, simd, panels);
      case Q5_K -> new Q5KMatrix(data, rows, cols, simd, panels);
      case Q6_K -> new Q6KMatrix(data, rows, cols, simd, panels);
    };
  }

  /**
   * The panels of a {@code rows x cols} matrix: its columns {@code [0, panel)}, {@code [panel, 2 *
   * panel)} and so on (the last may be narrower), copied panel after panel, each row after row,
   * into one file in the temporary directory, which is mapped and deleted at once: the copy lives
   * as long as the mapping and is freed with the matrix. It is read through a mapping, like the
   * file's weights, so that the kernels see one kind of segment: with a native copy beside mapped
   * weights, the JIT's profiles of the JDK's memory access code turned polymorphic and every other
   * matrix's kernels slowed down (decode 30% slower, measured).
   */
  private static WeightMatrix[] panels(
      GgmlType type, MemorySegment data, int rows, int cols, Simd simd, int panel)
      throws IOException {
    long rowBytes = type.byteSize(cols);
    int count = (cols + panel - 1) / panel;
    Path file = Files.createTempFile("shelf-panels-", ".bin");
    MemorySegment copy;
    try (FileChannel channel =
        FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteBuffer buffer = ByteBuffer.allocateDirect(1 << 20);
      MemorySegment staging = MemorySegment.ofBuffer(buffer);
      for (int p = 0; p < count; p++) {
        long skip = type.byteSize((long) p * panel);
        long width = type.byteSize(Math.min(panel, cols - (long) p * panel));
        for (int r = 0; r < rows; r++) {
          if (buffer.position() + width > buffer.capacity()) {
            drain(buffer, channel);
          }
          MemorySegment.copy(data, r * rowBytes + skip, staging, buffer.position(), width);
          buffer.position(buffer.position() + (int) width);
        }
      }
      drain(buffer, channel);
      // Written through the channel, not the mapping: a full disk is an IOException, where
      // writing through a mapping would kill the JVM with SIGBUS.
      copy =
          channel
              .map(FileChannel.MapMode.READ_ONLY, 0, rowBytes * rows, Arena.ofAuto())
              .asReadOnly();
    } finally {
      try {
        Files.deleteIfExists(file);
      } catch (IOException e) {
        // A system that cannot delete a mapped file (Windows) deletes it when the JVM exits.
        file.toFile().deleteOnExit();
      }
    }
    WeightMatrix[] panels = new WeightMatrix[count];
    long at = 0;
    for (int p = 0; p < count; p++) {
      int width = Math.min(panel, cols - p * panel);
      long bytes = type.byteSize(width) * rows;
      panels[p] = create(type, copy.asSlice(at, bytes), rows, width, simd, null);
      at += bytes;
    }
    return panels;
  }

  private static void drain(ByteBuffer buffer, FileChannel channel) throws IOException {
    buffer.flip();
    while (buffer.hasRemaining()) {
      channel.write(buffer);
    }
    buffer.clear();
  }

  /**
   * Bytes of memory a vector matrix of {@code elements} weights of {@code type} takes beside its
   * weights (which stay where they are, usually mapped from the file): Q4_0's and Q8_0's block
   * scales widened once at load, a float per 32 weights ({@link #blockScales}); Q4_K's sub-block
   * scales and mins decoded once at load, four floats per 64 weights, and Q5_K's where the vectors
   * have eight lanes or more; nothing for the other types.
   */
  public static long decodedBytes(GgmlType type, long elements) {
    return switch (type) {
      case Q4_0, Q8_0 -> elements / type.blockSize() * Float.BYTES;
      case Q4_K -> elements / 64 * Q4KMatrix.FACTOR_BYTES;
      case Q5_K -> VectorLanes.LANES >= 8 ? elements / 64 * Q4KMatrix.FACTOR_BYTES : 0;
      default -> 0;
    };
  }

  /**
   * For the vector kernels of a matrix used as it lies (none for the scalar twin, whose kernels
   * read the halves in place, nor for one run through panels, which hold their own): the f16 scale
   * that opens each block of {@code blockBytes} bytes (Q4_0's, Q8_0's), widened to a float, in
   * block order: decoded once at load, so that the vector kernels broadcast a float from memory (a
   * load) where they would move, convert and broadcast a half in every block. On Intel those are
   * instructions for the one port that also runs the permutes and widenings: the compiled Q4_0 row
   * kernel went from 13 vector instructions a block, 6 of them for that port, to 10 and 3, and ran
   * 28-31% faster in cache and 12-13% from memory, one thread (Q4_0 and Q8_0 alike; Xeon, Emerald
   * Rapids), for 4 bytes a block read beside the 18 or 34.
   */
  final float[] blockScales(int blockBytes) {
    return simd.isVector() && panels == null
        ? blockScales(data, (long) rows * (cols / type.blockSize()), blockBytes)
        : new float[0];
  }

  /** {@link #blockScales(int)} of {@code blocks} blocks at the start of {@code data}. */
  static float[] blockScales(MemorySegment data, long blocks, int blockBytes) {
    if (blocks > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "a matrix of " + blocks + " blocks has more scales than a Java array holds; split it");
    }
    float[] out = new float[(int) blocks];
    for (int b = 0; b < out.length; b++) {
      out[b] = Bytes.f16(data, (long) b * blockBytes);
    }
    return out;
  }

  /**
   * The bytes this matrix decoded at load beside its weights: what {@link #decodedBytes(GgmlType,
   * long)} counts for a vector matrix, nothing for the scalar twin.
   */
  public final long decodedBytes() {
    if (panels == null) {
      return factorBytes();
    }
    long bytes = 0;
    for (WeightMatrix p : panels) {
      bytes += p.decodedBytes();
    }
    return bytes;
  }

  /** The bytes of {@link #decodedBytes()} this matrix itself holds (its panels hold their own). */
  long factorBytes() {
    return 0;
  }

  /** Whether this matrix runs its vector kernels through panels (so needs no decoded factors). */
  final boolean paneled() {
    return panels != null;
  }

  /** The columns of each panel, or {@code [cols]} for a matrix used as it lies. */
  public final int[] panelWidths() {
    if (panels == null) {
      return new int[] {cols};
    }
    int[] widths = new int[panels.length];
    for (int p = 0; p < panels.length; p++) {
      widths[p] = panels[p].cols;
    }
    return widths;
  }

  /** The same weights with other kernels (how tests pick the scalar twin or a vector width). */
  public final WeightMatrix withSimd(Simd simd) {
    return of(type, data, rows, cols, simd);
  }

  public final GgmlType type() {
    return type;
  }

  public final int rows() {
    return rows;
  }

  public final int cols() {
    return cols;
  }

  public final Simd simd() {
    return simd;
  }

  /** The weights. */
  public final MemorySegment data() {
    return data;
  }

  /**
   * Writes row {@code row} as floats into {@code out[0, cols)}, exactly as ggml's {@code
   * dequantize_row_*} does: the reference the kernels are tested against.
   */
  public final void dequantizeRow(int row, float[] out) {
    Objects.checkIndex(row, rows);
    checkLength("out", out, cols);
    dequantize(row * rowBytes, cols, out, 0);
  }

  /** The dot product of row {@code row} with {@code x[0, cols)}. */
  public final float dot(int row, float[] x) {
    Objects.checkIndex(row, rows);
    checkLength("x", x, cols);
    if (panels != null) {
      float[] out = new float[row + 1];
      matvec(x, out, row, row + 1);
      return out[row];
    }
    if (simd.isVector()) {
      return dotVector(row * rowBytes, x, new float[simd.floatLanes() + SCRATCH]);
    }
    return dotScalar(row * rowBytes, x, new float[cols]);
  }

  /** {@code out[r] = row r . x} for every {@code r} in {@code [rowStart, rowEnd)}. */
  public final void matvec(float[] x, float[] out, int rowStart, int rowEnd) {
    checkRows(rowStart, rowEnd);
    checkLength("x", x, cols);
    checkLength("out", out, rowEnd);
    if (panels != null) {
      float[][] outs = {out};
      throughPanels(panels, new float[][] {x}, outs, rowStart, rowEnd);
    } else if (simd.isVector()) {
      dotRows(x, out, rowStart, rowEnd, new float[simd.floatLanes() + SCRATCH]);
    } else {
      float[] w = new float[cols];
      for (int r = rowStart; r < rowEnd; r++) {
        out[r] = dotScalar(r * rowBytes, x, w);
      }
    }
  }

  /**
   * {@link #matvec} over all rows, split across {@code parallel}'s threads in pieces of {@link
   * #pieceRows} rows.
   */
  public final void matvec(float[] x, float[] out, Parallel parallel) {
    checkLength("x", x, cols);
    checkLength("out", out, rows);
    parallel.forRange(0, rows, pieceRows(), (start, end) -> matvec(x, out, start, end));
  }

  /**
   * The rows of a piece when {@link #matvec} is split across threads ({@link Parallel#forRange(int,
   * int, int, Parallel.RangeTask)}): {@value #PIECE_WEIGHTS} weights, some 100 microseconds of a
   * thread's work. Pieces of a quarter of that were slower: every piece restarts the prefetchers'
   * stream and, in panels, packs x's slices again.
   */
  public final int pieceRows() {
    return (int) Math.max(1, Math.min(rows, PIECE_WEIGHTS / cols));
  }

  /**
   * {@code outs[k][r] = row r . xs[k]} for every input {@code k} and row {@code r} in {@code
   * [rowStart, rowEnd)}, reading the weights once; each result equals what {@link #matvec} gives.
   */
  public final void matmul(float[][] xs, float[][] outs, int rowStart, int rowEnd) {
    checkRows(rowStart, rowEnd);
    if (xs.length != outs.length) {
      throw new IllegalArgumentException(
          "matmul needs one output per input but got "
              + xs.length
              + " inputs and "
              + outs.length
              + " outputs");
    }
    int n = xs.length;
    for (int k = 0; k < n; k++) {
      checkLength("xs[" + k + "]", xs[k], cols);
      checkLength("outs[" + k + "]", outs[k], rowEnd);
    }
    if (n == 0) {
      return;
    }
    if (panels != null) {
      throughPanels(panels, xs, outs, rowStart, rowEnd);
      return;
    }
    if (!simd.isVector()) {
      float[] w = new float[cols];
      for (int r = rowStart; r < rowEnd; r++) {
        dequantize(r * rowBytes, cols, w, 0);
        for (int k = 0; k < n; k++) {
          outs[k][r] = Tiles.dotPlain(w, xs[k], cols);
        }
      }
      return;
    }
    multiplyPacked(pack(xs, 0, cols, new float[n * cols]), n, outs, rowStart, rowEnd);
  }

  /**
   * Columns {@code [col, col + width)} of every input, one after another in {@code into} (at least
   * {@code xs.length * width} floats), which is returned: the tiled kernels then address every
   * input from one base. With four arrays the 4 x 4 kernel's loop ran short of registers: C2 parked
   * two addresses in vector registers, moved them back every iteration and reloaded arguments from
   * the stack. Packed, the kernel alone (one Zen 5 thread, its data in L1) ran at a median 113
   * GFLOP/s where it had 98, and 8 streams of llama32-1b Q4_0 decoded at a median 38.7 tok/s where
   * they had 36.3 (the two alternated in one process, 40 rounds, the packed one faster in 29); Q8_0
   * did not change beyond the noise.
   */
  private static float[] pack(float[][] xs, int col, int width, float[] into) {
    for (int k = 0; k < xs.length; k++) {
      System.arraycopy(xs[k], col, into, k * width, width);
    }
    return into;
  }

  /**
   * {@link #matmul}'s tiled loop over {@code n} inputs packed {@code cols} apart in {@code xs}
   * ({@link #pack}), for a vector matrix used as it lies.
   */
  private void multiplyPacked(float[] xs, int n, float[][] outs, int rowStart, int rowEnd) {
    int lanes = simd.floatLanes();
    int tile = Math.min(tile(type), cols);
    float[] w = new float[ROWS * tile];
    float[] accs = new float[2 * ROWS * n * lanes];
    float[] tails = new float[ROWS * n];
    int touched = 0;
    for (int rb = rowStart; rb < rowEnd; rb += ROWS) {
      int rr = Math.min(ROWS, rowEnd - rb);
      if (PREFETCH) {
        touched += touch(rb + ROWS, rowEnd);
      }
      Arrays.fill(accs, 0f);
      Arrays.fill(tails, 0f);
      for (int col = 0; col < cols; col += tile) {
        int len = Math.min(tile, cols - col);
        long skip = (long) (col / type.blockSize()) * type.bytesPerBlock();
        for (int r = 0; r < rr; r++) {
          dequantizeVector((rb + r) * rowBytes + skip, len, w, r * tile);
        }
        Tiles.multiply(w, tile, rr, len, xs, n, cols, col, accs, tails);
      }
      Tiles.kernelSums(accs, tails, rr, outs, rb);
    }
    touchedSum = touched;
  }

  /**
   * Reads one byte of every 64 of the weights of rows {@code [from, from + ROWS)} (up to {@code
   * end}), the row block {@link #matmul} decodes next, and returns their sum. Java has no prefetch
   * instruction; these loads depend on nothing, so the core issues them at once, while it decodes
   * and multiplies the block before, and the block's cache lines are on their way when its decoding
   * reaches them. A tile reads its rows' bytes in runs of about a kilobyte, four rows interleaved,
   * which the hardware prefetchers follow poorly: on a 2-vCPU Intel Xeon (Emerald Rapids), 8
   * streams of a llama32-1b Q8_0 file ran at a median 33.4 tok/s with these reads against 31.1
   * without (six runs each, 28-35 all told); Q4_0, with half the bytes a weight, did not change
   * beyond the noise.
   */
  private int touch(int from, int end) {
    long at = from * rowBytes;
    long stop = Math.min(at + ROWS * rowBytes, end * rowBytes);
    int sum = 0;
    for (; at < stop; at += 64) {
      sum += data.get(ValueLayout.JAVA_BYTE, at);
    }
    return sum;
  }

  /** {@code -Dshelf.prefetch=false} turns {@link #touch} off. */
  public static final String PREFETCH_PROPERTY = "shelf.prefetch";

  private static final boolean PREFETCH =
      Boolean.parseBoolean(System.getProperty(PREFETCH_PROPERTY, "true"));

  /** Where {@link #matmul} leaves the sum of its {@link #touch} reads, so they are not dropped. */
  @SuppressWarnings("unused")
  private static volatile int touchedSum;

  /**
   * {@code outs[k][r]} for the rows in range as the sum of each panel's product with its columns of
   * {@code xs[k]}, added panel by panel in column order: for one input or many, the same floats.
   */
  private static void throughPanels(
      WeightMatrix[] panels, float[][] xs, float[][] outs, int rowStart, int rowEnd) {
    int n = xs.length;
    float[][] parts = new float[n][rowEnd];
    float[] packed = new float[n * panels[0].cols]; // the first panel is the widest
    int col = 0;
    for (int p = 0; p < panels.length; p++) {
      WeightMatrix panel = panels[p];
      float[] slices = pack(xs, col, panel.cols, packed);
      col += panel.cols;
      float[][] into = p == 0 ? outs : parts;
      if (n == 1) {
        panel.matvec(slices, into[0], rowStart, rowEnd);
      } else {
        panel.multiplyPacked(slices, n, into, rowStart, rowEnd);
      }
      if (p == 0) {
        continue;
      }
      for (int k = 0; k < n; k++) {
        for (int r = rowStart; r < rowEnd; r++) {
          outs[k][r] += parts[k][r];
        }
      }
    }
  }

  /**
   * The elements of a row {@link #matmul} decodes at a time: {@value #TILE}, or twice that for
   * types of under six bits a weight, so that the run of each row's weight bytes read at a time is
   * 400-700 bytes for every quantized type. With 8 inputs, 1024 elements ran Q4_0 10-15% faster
   * than 512 and Q8_0 9% slower (whose 1024 elements are 1088 bytes).
   */
  static int tile(GgmlType type) {
    return 8L * type.bytesPerBlock() < 6L * type.blockSize() ? 2 * TILE : TILE;
  }

  /** {@link #matmul} over all rows, split across {@code parallel}'s threads. */
  public final void matmul(float[][] xs, float[][] outs, Parallel parallel) {
    for (float[] out : outs) {
      checkLength("out", out, rows);
    }
    parallel.forRange(0, rows, (start, end) -> matmul(xs, outs, start, end));
  }

  @Override
  public String toString() {
    String layout = panels == null ? "" : ", " + panels.length + " panels";
    return type + " " + rows + " x " + cols + " (" + simd + layout + ")";
  }

  private void checkRows(int rowStart, int rowEnd) {
    if (rowStart < 0 || rowStart > rowEnd || rowEnd > rows) {
      throw new IndexOutOfBoundsException(
          "row range [" + rowStart + ", " + rowEnd + ") is outside [0, " + rows + ")");
    }
  }

  private static void checkLength(String name, float[] array, int min) {
    if (array.length < min) {
      throw new IllegalArgumentException(
          name + " needs at least " + min + " elements but has " + array.length);
    }
  }

  /**
   * Writes {@code elements} elements (whole blocks) from {@code offset} into {@code out[at, at +
   * elements)} exactly as ggml's {@code dequantize_row_*} does: the reference.
   */
  abstract void dequantize(long offset, int elements, float[] out, int at);

  /**
   * The vector twin of {@link #dequantize}: the same floats, bit for bit, computed with vector
   * loads. A run of floats ending in fewer than a vector's lanes is finished with scalar code.
   */
  abstract void dequantizeVector(long offset, int elements, float[] out, int at);

  /**
   * The vector kernel: the row at {@code offset} dotted with {@code x}, each vector of weights
   * decoded in registers (equal to {@link #dequantize}'s) and multiplied in element order into one
   * of two accumulators, the even-numbered vectors of the row into one and the odd ones into the
   * other; then {@link VectorLanes#sum(FloatVector, FloatVector)}, then any scalar tail added.
   */
  abstract float dotVector(long offset, float[] x, float[] scratch);

  /**
   * {@code out[r] = dotVector(row r)} for {@code r} in {@code [rowStart, rowEnd)}: {@link
   * #matvec}'s loop, written out in each type's class (the same five lines) so that each is
   * compiled with its own type's kernel inlined into it. Shared here, the loop's call would see
   * every type in a model (a Q4_0 file holds Q6_K too), and the JIT would compile it for one and
   * call the other through a boxed, slower path; see {@link JitDirectives}.
   */
  abstract void dotRows(float[] x, float[] out, int rowStart, int rowEnd, float[] scratch);

  /** The scalar twin: the row dequantized into {@code w}, then dotted in element order. */
  final float dotScalar(long offset, float[] x, float[] w) {
    dequantize(offset, cols, w, 0);
    return Tiles.dotPlain(w, x, cols);
  }
}
