package dev.shelf.providers.testing;

import dev.shelf.engine.gguf.GgmlType;
import dev.shelf.engine.gguf.GgufValue;
import dev.shelf.engine.gguf.GgufWriter;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * A real GGUF {@code llama} model that says a given script: each piece of the script is a token of
 * its own, and whatever the prompt, the model's most likely continuation is the script and then
 * end-of-sequence. Tests of what surrounds the engine (tool calls read from the answer, streaming,
 * the SDKs) use it where a random model could never write the text they need.
 *
 * <h2>How it works</h2>
 *
 * The model has one layer whose attention and feed-forward weights are all zero, so each position's
 * hidden state is its token's embedding unchanged, and the next token depends on the current one
 * alone: a bigram model. Embeddings are one-hot ({@code dim} at least the vocabulary size), so
 * after the final RMS norm token {@code t}'s state is {@code sqrt(dim)} at column {@code t}; the
 * output matrix row of token {@code u} holds 1 at column {@code t} exactly when {@code u} follows
 * {@code t}. Script piece {@code i} is followed by piece {@code i + 1}, the last by EOS, and every
 * other token by the first piece: the logit of the successor is {@code sqrt(dim)} (about 23) and
 * every other is 0, so even sampling at temperature 1 follows the script (probability above 0.999).
 *
 * <p>The vocabulary is SentencePiece-style: {@code <unk>}, {@code <s>}, {@code </s>}, the 256 byte
 * tokens (so any prompt encodes) and the script's pieces. Pieces must be distinct and must not end
 * the rendered prompt (its last token must not be a piece).
 */
public final class ScriptedModel {
  private static final int EOS = 2;
  private static final int FIRST_PIECE = 3 + 256;
  private static final int CONTEXT = 4096;

  private ScriptedModel() {}

  /**
   * Writes the model to {@code path}.
   *
   * @param template the chat template ({@code tokenizer.chat_template}), or null for none
   * @param script the pieces the model says, in order, each a token
   */
  public static void write(Path path, @Nullable String template, List<String> script)
      throws IOException {
    write(path, template, script, List.of());
  }

  /**
   * As {@link #write(Path, String, List)}, with {@code controls}: more tokens of the vocabulary
   * (control tokens, as chat markers and infill tokens are), which the model never says; after one
   * of them, as after any token not in the script, it says the script.
   */
  public static void write(
      Path path, @Nullable String template, List<String> script, List<String> controls)
      throws IOException {
    int firstPiece = FIRST_PIECE + controls.size();
    if (new HashSet<>(script).size() != script.size() || script.isEmpty()) {
      throw new IllegalArgumentException("script pieces must be distinct and at least one");
    }
    int vocab = firstPiece + script.size();
    int dim = Math.max(64, (vocab + 63) / 64 * 64);
    int heads = 4;
    int ff = 64;
    GgufWriter w = new GgufWriter();
    String a = "llama.";
    w.putString("general.architecture", "llama");
    w.putString("general.name", "scripted");
    w.putUint32(a + "context_length", CONTEXT);
    w.putUint32(a + "embedding_length", dim);
    w.putUint32(a + "block_count", 1);
    w.putUint32(a + "feed_forward_length", ff);
    w.putUint32(a + "attention.head_count", heads);
    w.putUint32(a + "attention.head_count_kv", heads);
    w.putUint32(a + "rope.dimension_count", dim / heads);
    w.putFloat32(a + "rope.freq_base", 10_000f);
    w.putFloat32(a + "attention.layer_norm_rms_epsilon", 1e-5f);
    w.putUint32(a + "vocab_size", vocab);
    w.putString("tokenizer.ggml.model", "llama");
    List<String> tokens = new ArrayList<>(List.of("<unk>", "<s>", "</s>"));
    float[] scores = new float[vocab];
    int[] types = new int[vocab];
    types[0] = 2;
    types[1] = 3;
    types[2] = 3;
    for (int b = 0; b < 256; b++) {
      tokens.add(String.format(Locale.ROOT, "<0x%02X>", b));
      types[3 + b] = 6;
    }
    for (int i = 0; i < controls.size(); i++) {
      tokens.add(controls.get(i));
      types[FIRST_PIECE + i] = 3;
    }
    for (int i = 0; i < script.size(); i++) {
      tokens.add(script.get(i).replace(' ', '\u2581'));
      types[firstPiece + i] = 1;
      scores[firstPiece + i] = -i;
    }
    w.putStringArray("tokenizer.ggml.tokens", tokens);
    w.put("tokenizer.ggml.scores", GgufValue.float32Array(scores));
    w.put("tokenizer.ggml.token_type", GgufValue.int32Array(types));
    w.putUint32("tokenizer.ggml.unknown_token_id", 0);
    w.putUint32("tokenizer.ggml.bos_token_id", 1);
    w.putUint32("tokenizer.ggml.eos_token_id", EOS);
    w.putBool("tokenizer.ggml.add_bos_token", true);
    if (template != null) {
      w.putString("tokenizer.chat_template", template);
    }
    long[] square = {dim, vocab};
    w.addTensor(
        "token_embd.weight",
        GgmlType.F32,
        square,
        (MemorySegment m) -> {
          for (int t = 0; t < vocab; t++) {
            m.setAtIndex(ValueLayout.JAVA_FLOAT, (long) t * dim + t, 1f);
          }
        });
    w.addTensor(
        "output.weight",
        GgmlType.F32,
        square,
        (MemorySegment m) -> {
          for (int t = 0; t < vocab; t++) {
            int i = t - firstPiece;
            int next = i < 0 ? firstPiece : i + 1 < script.size() ? firstPiece + i + 1 : EOS;
            m.setAtIndex(ValueLayout.JAVA_FLOAT, (long) next * dim + t, 1f);
          }
        });
    ones(w, "output_norm.weight", dim);
    String p = "blk.0.";
    ones(w, p + "attn_norm.weight", dim);
    ones(w, p + "ffn_norm.weight", dim);
    for (String name : List.of("attn_q", "attn_k", "attn_v", "attn_output")) {
      w.addTensor(p + name + ".weight", GgmlType.F32, new long[] {dim, dim}, m -> {});
    }
    w.addTensor(p + "ffn_gate.weight", GgmlType.F32, new long[] {dim, ff}, m -> {});
    w.addTensor(p + "ffn_up.weight", GgmlType.F32, new long[] {dim, ff}, m -> {});
    w.addTensor(p + "ffn_down.weight", GgmlType.F32, new long[] {ff, dim}, m -> {});
    w.write(path);
  }

  /** A chat template of {@code ../shared/models/templates}, by file name. */
  public static String sharedTemplate(String file) throws IOException {
    String root = System.getProperty("shelf.root");
    Path dir =
        root != null
            ? Path.of(root).resolve("../shared/models/templates").normalize()
            : Path.of("").toAbsolutePath().resolve("../../shared/models/templates").normalize();
    return Files.readString(dir.resolve(file));
  }

  private static void ones(GgufWriter w, String name, int n) {
    w.addTensor(
        name,
        GgmlType.F32,
        new long[] {n},
        m -> {
          for (int i = 0; i < n; i++) {
            m.setAtIndex(ValueLayout.JAVA_FLOAT, i, 1f);
          }
        });
  }
}
