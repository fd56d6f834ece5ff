package dev.shelf.cli.bench;

import dev.shelf.engine.gguf.GgufFile;
import dev.shelf.engine.model.LlamaConfig;
import dev.shelf.engine.model.LlamaModel;
import dev.shelf.engine.model.LlamaSequence;
import dev.shelf.engine.tensor.Parallel;
import dev.shelf.engine.tensor.ReadProbe;
import dev.shelf.engine.tensor.Simd;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.function.DoubleSupplier;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code shelf bench engine}: the embedded engine's speed on a GGUF file, as llama.cpp's {@code
 * llama-bench -p 128 -n 64} and {@code llama-batched-bench} measure it: prefill tokens/s (one
 * prompt of {@code -p} random tokens in one go), decode tokens/s ({@code -n} tokens generated one
 * at a time from an empty context), and the aggregate decode tokens/s of {@code --streams}
 * sequences stepped together after each has a prompt of {@code -p} tokens. Each is the median of
 * {@code --repetitions} runs after a warm-up. The in-process baseline is the read bandwidth of the
 * same threads over the same file: a token reads every weight once, so {@code bandwidth / file
 * size} bounds single-sequence decoding. Where the file's shape and type are those of
 * BENCHMARKS.md's synthetic models, llama.cpp's figures stand beside ours as a ratio.
 */
@Command(
    name = "engine",
    mixinStandardHelpOptions = true,
    description = {
      "Measure the engine on a GGUF file: prefill (pp), decode (tg) and batched decode tokens/s,"
          + " medians over repetitions, beside llama.cpp's figures from BENCHMARKS.md when the"
          + " file is one of its synthetic shapes (make one with `shelf synth`)."
    })
public final class EngineBench implements Callable<Integer> {
  @SuppressWarnings("NullAway.Init")
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @SuppressWarnings("NullAway.Init")
  @Parameters(index = "0", paramLabel = "MODEL", description = "A llama GGUF file.")
  Path model;

  @Option(
      names = "--threads",
      description = "Engine threads (default: the CPU count, ${DEFAULT-VALUE}).")
  int threads = Runtime.getRuntime().availableProcessors();

  @Option(
      names = "--streams",
      defaultValue = "8",
      description = "Sequences decoded together; 0 skips it (default: ${DEFAULT-VALUE}).")
  int streams = 8;

  @Option(
      names = "--stream-steps",
      defaultValue = "32",
      description = "Decode steps of the batched phase, as llama-batched-bench -ntg (default: 32).")
  int streamSteps = 32;

  @Option(names = "-p", defaultValue = "128", description = "Prompt tokens (default: 128).")
  int prompt = 128;

  @Option(names = "-n", defaultValue = "64", description = "Generated tokens (default: 64).")
  int generate = 64;

  @Option(
      names = {"-r", "--repetitions"},
      defaultValue = "3",
      description = "Measured runs of each phase; the median is reported (default: 3).")
  int repetitions = 3;

  @Option(names = "--no-progress", description = "Print no progress on stderr.")
  boolean noProgress;

  /**
   * One line of BENCHMARKS.md: llama.cpp's figures for a synthetic file, NaN where not measured.
   */
  record Reference(
      String shape, String type, double prefill, double decode, double streams8Decode) {}

  /** llama.cpp at commit c392e50, 2 threads, on this machine kind (BENCHMARKS.md). */
  static final List<Reference> LLAMA_CPP =
      List.of(
          new Reference("llama32-1b", "F16", 94, 19, Double.NaN),
          new Reference("llama32-1b", "Q8_0", 112, 22, 61),
          new Reference("llama32-1b", "Q4_0", 120, 48, 61),
          new Reference("llama32-1b", "Q4_K_M", 67, 39, Double.NaN),
          new Reference("qwen25-05b", "Q8_0", 258, 55, Double.NaN),
          new Reference("stories260K", "F32", 24_335, 6_845, Double.NaN));

  @Override
  public Integer call() throws Exception {
    if (threads < 1 || prompt < 1 || generate < 1 || repetitions < 1 || streams < 0) {
      throw new CommandLine.ParameterException(
          spec.commandLine(),
          "--threads, -p, -n and --repetitions must be >= 1 and --streams >= 0");
    }
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    try (GgufFile file = GgufFile.open(model);
        Parallel parallel = new Parallel(threads)) {
      LlamaModel llama = LlamaModel.load(file, Simd.defaults(), parallel);
      LlamaConfig c = llama.config();
      String shape = shapeName(c);
      String type = fileType(file);
      int context = Math.max(prompt, generate) + 1;
      Random random = new Random(42);
      int[] tokens = new int[prompt];
      for (int i = 0; i < prompt; i++) {
        tokens[i] = 3 + random.nextInt(c.vocabSize() - 3);
      }
      int ctx = context;
      LlamaSequence seq = llama.newSequence(ctx);
      note(err, "warming up...");
      seq.prefill(Arrays.copyOf(tokens, Math.min(prompt, 32)), 0);
      decode(seq, Math.min(8, context - 1));
      ReadProbe.warmUp(file.segment());

      List<Row> rows = new ArrayList<>();
      double[] bandwidth =
          measure(
              err,
              "read bandwidth",
              () -> {
                long t0 = System.nanoTime();
                ReadProbe.read(file.segment(), parallel);
                return file.size() / ((System.nanoTime() - t0) / 1e9);
              });
      double bandwidthShare = lastCpuShare;
      double[] pp =
          measure(
              err,
              "prefill pp" + prompt,
              () -> {
                seq.reset();
                long t0 = System.nanoTime();
                seq.prefill(tokens, 0);
                return prompt / ((System.nanoTime() - t0) / 1e9);
              });
      double ppShare = lastCpuShare;
      double[] tg =
          measure(
              err,
              "decode tg" + generate,
              () -> {
                seq.reset();
                long t0 = System.nanoTime();
                decode(seq, generate);
                return generate / ((System.nanoTime() - t0) / 1e9);
              });
      double tgShare = lastCpuShare;
      @Nullable Reference ref = reference(shape, type);
      double bw = median(bandwidth);
      rows.add(
          new Row("weights read bandwidth, GB/s", bandwidth, 1e-9, Double.NaN, bandwidthShare));
      rows.add(
          new Row(
              "decode bound (bandwidth / file), tok/s",
              new double[] {bw / file.size()},
              1,
              Double.NaN,
              bandwidthShare));
      rows.add(
          new Row(
              "prefill pp" + prompt + ", tok/s",
              pp,
              1,
              ref == null ? Double.NaN : ref.prefill(),
              ppShare));
      rows.add(
          new Row(
              "decode tg" + generate + ", tok/s",
              tg,
              1,
              ref == null ? Double.NaN : ref.decode(),
              tgShare));
      if (streams > 0) {
        // Each stream gets its prompt once; the repetitions then continue decoding.
        int streamContext = prompt + streamSteps * (repetitions + 1) + 1;
        LlamaSequence[] seqs = new LlamaSequence[streams];
        int[] next = new int[streams];
        note(err, "batched: prompting " + streams + " streams...");
        for (int s = 0; s < streams; s++) {
          seqs[s] = llama.newSequence(Math.max(streamContext, 2));
          int[] p = tokens.clone();
          p[0] = 3 + s; // distinct prompts
          next[s] = LlamaSequence.argmax(seqs[s].prefill(p, 0));
        }
        step(llama, seqs, next, streamSteps);
        double[] agg =
            measure(
                err,
                streams + " streams x " + streamSteps + " steps",
                () -> step(llama, seqs, next, streamSteps));
        rows.add(
            new Row(
                streams + " streams, aggregate decode tok/s",
                agg,
                1,
                ref == null || streams != 8 ? Double.NaN : ref.streams8Decode(),
                lastCpuShare));
      }
      if (!noProgress) {
        err.print("\r" + " ".repeat(60) + "\r");
        err.flush();
      }
      print(out, file, shape, type, ref, rows);
      return 0;
    }
  }

  /** Generates {@code n} tokens greedily from an empty sequence, one at a time. */
  private static void decode(LlamaSequence seq, int n) {
    int token = 1;
    for (int i = 0; i < n; i++) {
      token = LlamaSequence.argmax(seq.forward(token, i));
    }
  }

  /**
   * Times {@code steps} batched decode steps of every sequence, each fed its greedy next token
   * ({@code next}, updated), and returns the aggregate tokens/s.
   */
  private static double step(LlamaModel llama, LlamaSequence[] seqs, int[] next, int steps) {
    long t0 = System.nanoTime();
    for (int i = 0; i < steps; i++) {
      float[][] logits = llama.step(seqs, next);
      for (int s = 0; s < seqs.length; s++) {
        next[s] = LlamaSequence.argmax(logits[s]);
      }
    }
    return (double) seqs.length * steps / ((System.nanoTime() - t0) / 1e9);
  }

  /** The CPU share of the last {@link #measure}: process CPU seconds per wall second. */
  private double lastCpuShare = Double.NaN;

  private double[] measure(PrintWriter err, String what, DoubleSupplier run) {
    double[] values = new double[repetitions];
    long cpu0 = processCpuNanos();
    long wall0 = System.nanoTime();
    for (int r = 0; r < repetitions; r++) {
      note(err, String.format(Locale.ROOT, "%s, run %d of %d...", what, r + 1, repetitions));
      values[r] = run.getAsDouble();
    }
    long cpu = processCpuNanos() - cpu0;
    lastCpuShare = cpu < 0 ? Double.NaN : cpu / (double) (System.nanoTime() - wall0);
    return values;
  }

  /** CPU time of this process, or a negative number when the JVM cannot tell. */
  private static long processCpuNanos() {
    if (java.lang.management.ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os) {
      return os.getProcessCpuTime();
    }
    return -1;
  }

  private void note(PrintWriter err, String text) {
    if (!noProgress) {
      err.printf("\r%-60s", text);
      err.flush();
    }
  }

  /** A measured line: its values (scaled by {@code unit} when printed) and llama.cpp's figure. */
  record Row(String name, double[] values, double unit, double llamaCpp, double cpuShare) {}

  static double median(double[] values) {
    double[] v = values.clone();
    Arrays.sort(v);
    int n = v.length;
    return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  }

  private void print(
      PrintWriter out,
      GgufFile file,
      String shape,
      String type,
      @Nullable Reference ref,
      List<Row> rows) {
    out.printf(
        Locale.ROOT,
        "%s: %s %s, %.2f GiB; %d threads, %s, Java %s, %d CPUs%n",
        model,
        shape,
        type,
        file.size() / (double) (1L << 30),
        threads,
        Simd.defaults(),
        Runtime.version().feature(),
        Runtime.getRuntime().availableProcessors());
    out.printf(
        Locale.ROOT,
        "%-42s %10s %19s %10s %7s %9s%n",
        "measure",
        "median",
        "min-max (" + repetitions + " runs)",
        "llama.cpp",
        "ratio",
        "CPU used");
    for (Row r : rows) {
      double med = median(r.values()) * r.unit();
      double min = Arrays.stream(r.values()).min().orElse(Double.NaN) * r.unit();
      double max = Arrays.stream(r.values()).max().orElse(Double.NaN) * r.unit();
      out.printf(
          Locale.ROOT,
          "%-42s %10.1f %19s %10s %7s %9s%n",
          r.name(),
          med,
          String.format(Locale.ROOT, "%.1f-%.1f", min, max),
          Double.isNaN(r.llamaCpp()) ? "" : String.format(Locale.ROOT, "%.0f", r.llamaCpp()),
          Double.isNaN(r.llamaCpp()) ? "" : String.format(Locale.ROOT, "%.2fx", med / r.llamaCpp()),
          Double.isNaN(r.cpuShare()) ? "" : String.format(Locale.ROOT, "%.2f", r.cpuShare()));
    }
    if (ref == null) {
      out.println("(no llama.cpp figure for this shape and type in BENCHMARKS.md)");
    }
    out.printf(
        Locale.ROOT,
        "CPU used: cores' worth of CPU time the process got per wall second (of %d threads);"
            + " less means other work shared the machine%n",
        threads);
    out.flush();
  }

  static @Nullable Reference reference(String shape, String type) {
    for (Reference r : LLAMA_CPP) {
      if (r.shape().equals(shape) && r.type().equals(type)) {
        return r;
      }
    }
    return null;
  }

  /** BENCHMARKS.md's name for a shape, or a description of it. */
  static String shapeName(LlamaConfig c) {
    if (c.embeddingLength() == 2048
        && c.blockCount() == 16
        && c.headCount() == 32
        && c.headCountKv() == 8
        && c.feedForwardLength() == 8192) {
      return "llama32-1b";
    }
    if (c.embeddingLength() == 896
        && c.blockCount() == 24
        && c.headCount() == 14
        && c.headCountKv() == 2
        && c.feedForwardLength() == 4864) {
      return "qwen25-05b";
    }
    if (c.embeddingLength() == 1024
        && c.blockCount() == 28
        && c.headCount() == 16
        && c.headCountKv() == 8
        && c.headSize() == 128
        && c.feedForwardLength() == 3072) {
      return "qwen3-06b";
    }
    if (c.embeddingLength() == 64 && c.blockCount() == 5 && c.vocabSize() == 512) {
      return "stories260K";
    }
    return c.embeddingLength() + "x" + c.blockCount();
  }

  /** The file's llama.cpp file type ({@code general.file_type}), named as llama.cpp does. */
  static String fileType(GgufFile file) {
    if (!file.metadata().contains("general.file_type")) {
      return "?";
    }
    return switch (file.metadata().getInt("general.file_type")) {
      case 0 -> "F32";
      case 1 -> "F16";
      case 2 -> "Q4_0";
      case 3 -> "Q4_1";
      case 7 -> "Q8_0";
      case 8 -> "Q5_0";
      case 9 -> "Q5_1";
      case 15 -> "Q4_K_M";
      case 14 -> "Q4_K_S";
      case 16 -> "Q5_K_S";
      case 17 -> "Q5_K_M";
      case 18 -> "Q6_K";
      case 32 -> "BF16";
      default -> "file type " + file.metadata().getInt("general.file_type");
    };
  }
}
