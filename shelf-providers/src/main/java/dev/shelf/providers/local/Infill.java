package dev.shelf.providers.local;

import dev.shelf.engine.gguf.GgufMetadata;
import dev.shelf.engine.tokenizer.Tokenizer;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Fill-in-the-middle for code models: a completion request's {@code suffix} makes the prompt
 * llama.cpp's infill prompt, {@code [BOS] <FIM_PRE> prefix <FIM_SUF> suffix <FIM_MID>}, and the
 * model writes what goes between. The three tokens come from the file's metadata ({@code
 * tokenizer.ggml.fim_pre_token_id}, {@code fim_suf_token_id}, {@code fim_mid_token_id}, or the
 * older {@code prefix_token_id}, {@code suffix_token_id}, {@code middle_token_id}), else by their
 * text in the vocabulary, as llama.cpp finds them: Qwen2.5-Coder's {@code <|fim_prefix|>},
 * StarCoder's {@code <fim_prefix>}, DeepSeek-Coder's {@code <｜fim▁begin｜>}, CodeLlama's {@code
 * <PRE>}, CodeGemma's and GLM's.
 *
 * @param pre the token before the prefix
 * @param suf the token before the suffix
 * @param mid the token after which the middle is written
 */
record Infill(int pre, int suf, int mid) {
  /** Known spellings, each a prefix, suffix and middle token of one model family. */
  private static final List<List<String>> TEXTS =
      List.of(
          List.of("<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>"),
          List.of("<fim_prefix>", "<fim_suffix>", "<fim_middle>"),
          List.of("<fim-prefix>", "<fim-suffix>", "<fim-middle>"),
          List.of("<｜fim▁begin｜>", "<｜fim▁hole｜>", "<｜fim▁end｜>"),
          List.of("<PRE>", "<SUF>", "<MID>"),
          List.of("▁<PRE>", "▁<SUF>", "▁<MID>"),
          List.of("<|code_prefix|>", "<|code_suffix|>", "<|code_middle|>"));

  /** The file's infill tokens, or null when it has none (not a fill-in-the-middle model). */
  static @Nullable Infill of(GgufMetadata meta, Tokenizer tokenizer) {
    for (String[] keys :
        new String[][] {
          {"fim_pre_token_id", "fim_suf_token_id", "fim_mid_token_id"},
          {"prefix_token_id", "suffix_token_id", "middle_token_id"}
        }) {
      int[] ids = new int[3];
      boolean all = true;
      for (int i = 0; i < 3 && all; i++) {
        String key = "tokenizer.ggml." + keys[i];
        all = meta.contains(key);
        ids[i] = all ? meta.getInt(key) : -1;
        all &= ids[i] >= 0 && ids[i] < tokenizer.vocabSize();
      }
      if (all) {
        return new Infill(ids[0], ids[1], ids[2]);
      }
    }
    for (List<String> t : TEXTS) {
      int pre = tokenizer.tokenId(t.get(0));
      int suf = tokenizer.tokenId(t.get(1));
      int mid = tokenizer.tokenId(t.get(2));
      if (pre >= 0 && suf >= 0 && mid >= 0) {
        return new Infill(pre, suf, mid);
      }
    }
    return null;
  }

  /** The infill prompt of {@code prefix} and {@code suffix} (both without special tokens). */
  int[] prompt(Tokenizer tokenizer, int[] prefix, int[] suffix) {
    boolean bos = tokenizer.addsBos();
    int n = (bos ? 1 : 0) + 3 + prefix.length + suffix.length;
    int[] out = new int[n];
    int at = 0;
    if (bos) {
      out[at++] = tokenizer.bos();
    }
    out[at++] = pre;
    System.arraycopy(prefix, 0, out, at, prefix.length);
    at += prefix.length;
    out[at++] = suf;
    System.arraycopy(suffix, 0, out, at, suffix.length);
    at += suffix.length;
    out[at] = mid;
    return out;
  }
}
