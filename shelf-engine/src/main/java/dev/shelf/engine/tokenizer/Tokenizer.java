package dev.shelf.engine.tokenizer;

import dev.shelf.engine.gguf.GgufFile;
import dev.shelf.engine.gguf.GgufMetadata;
import dev.shelf.engine.gguf.GgufValue;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A tokenizer read from a GGUF file's {@code tokenizer.ggml.*} metadata, producing llama.cpp's
 * token ids for the same text.
 *
 * <p>Encoding follows {@code llama_vocab::impl::tokenize}: special tokens are first cut out of the
 * text as whole tokens, longest first ({@code tokenizer_st_partition}): user-defined tokens always,
 * control and unknown tokens only when {@code parseSpecial}. Each remaining run of text is encoded
 * by the file's algorithm ({@link SpmEncoder}, {@link BpeEncoder}, {@link WordPieceEncoder}). With
 * {@code addSpecial}, BOS/EOS are added as the file asks ({@code tokenizer.ggml.add_bos_token},
 * {@code add_eos_token}, llama.cpp's defaults otherwise); BERT gets {@code [CLS] ... [SEP]}. For
 * {@code llama} files each run of text that starts the input or follows a special token gets a
 * leading space ({@code tokenizer.ggml.add_space_prefix}, default true), then spaces become U+2581.
 *
 * <p>Decoding works in bytes: a token's piece is its UTF-8 text ({@code llama}: U+2581 back to
 * space, {@code <0xNN>} to the byte; {@code gpt2}: stand-in characters back to bytes), so a piece
 * can be part of a character. {@link #decode} joins the pieces and decodes once; {@link
 * StreamDecoder} holds back an incomplete character until a later token completes it.
 */
public final class Tokenizer {
  /** The tokenizer algorithms, by their {@code tokenizer.ggml.model} name. */
  public enum Kind {
    LLAMA,
    GPT2,
    BERT
  }

  private static final List<String> EOT_TEXTS =
      List.of(
          "<|eot_id|>",
          "<|im_end|>",
          "<|end|>",
          "<end_of_turn>",
          "<|endoftext|>",
          "<|end_of_text|>",
          "<EOT>",
          "_<EOT>",
          "<｜end▁of▁sentence｜>",
          "<end_of_utterance>");

  private final Kind kind;
  private final String pre;
  private final Vocab vocab;
  private final SegmentEncoder encoder;
  private final int bos;
  private final int eos;
  private final int eot;
  private final int unknown;
  private final int separator;
  private final int padding;
  private final boolean addBos;
  private final boolean addEos;
  private final boolean addSpacePrefix;
  private final boolean cleanSpaces;
  private final int[] specialTokens;
  private final Set<Integer> endOfGeneration = new HashSet<>();
  private final byte[][] pieces;

  private Tokenizer(GgufMetadata m, String source) {
    String model = m.getString("tokenizer.ggml.model");
    this.pre = m.getString("tokenizer.ggml.pre", "");
    String[] texts = m.getStringArray("tokenizer.ggml.tokens");
    int n = texts.length;
    for (int i = 0; i < n; i++) {
      if (texts[i].isEmpty()) {
        texts[i] = "[EMPTY_" + i + "]";
      }
    }
    float[] scores = scores(m, n, source);
    int[] attrs = new int[n];
    if (m.contains("tokenizer.ggml.token_type")) {
      int[] types = m.getIntArray("tokenizer.ggml.token_type");
      if (types.length < n) {
        throw new TokenizerException(
            source + ": tokenizer.ggml.token_type has " + types.length + " entries for " + n);
      }
      for (int i = 0; i < n; i++) {
        attrs[i] = Vocab.attrOfType(types[i]);
      }
    } else {
      Arrays.fill(attrs, Vocab.NORMAL);
    }
    this.vocab = new Vocab(texts, scores, attrs, source);

    int bosId;
    int eosId;
    int unkId;
    int sepId = -1;
    int padId = -1;
    boolean bosDefault;
    boolean spacePrefixDefault = false;
    boolean clean;
    PreTokenizer.@Nullable Config config = null;
    switch (model) {
      case "llama" -> {
        kind = Kind.LLAMA;
        bosId = 1;
        eosId = 2;
        unkId = 0;
        bosDefault = true;
        spacePrefixDefault = true;
        clean = false;
      }
      case "gpt2" -> {
        kind = Kind.GPT2;
        config = PreTokenizer.config(pre);
        if (config == null) {
          throw new TokenizerException(
              source
                  + ": unknown pre-tokenizer '"
                  + pre
                  + "' in metadata key 'tokenizer.ggml.pre' (llama.cpp names such as default,"
                  + " gpt-2, llama-bpe, qwen2, deepseek-llm, deepseek-coder, falcon, starcoder)");
        }
        if (!m.contains("tokenizer.ggml.merges")) {
          throw new TokenizerException(
              source + ": gpt2 tokenizer without metadata key 'tokenizer.ggml.merges'");
        }
        bosId = 11;
        eosId = 11;
        unkId = -1;
        bosDefault = config.addBos();
        clean = config.cleanSpaces();
      }
      case "bert" -> {
        kind = Kind.BERT;
        bosId = 101;
        eosId = -1;
        unkId = 100;
        sepId = 102;
        padId = 0;
        bosDefault = true;
        clean = true;
      }
      default ->
          throw new TokenizerException(
              source
                  + ": unknown tokenizer model '"
                  + model
                  + "' in metadata key 'tokenizer.ggml.model' (supported: llama, gpt2, bert)");
    }
    this.bos = special(m, "tokenizer.ggml.bos_token_id", bosId, n);
    this.eos = special(m, "tokenizer.ggml.eos_token_id", eosId, n);
    int eotId = special(m, "tokenizer.ggml.eot_token_id", -1, n);
    int eomId = special(m, "tokenizer.ggml.eom_token_id", -1, n);
    this.unknown = special(m, "tokenizer.ggml.unknown_token_id", unkId, n);
    this.separator = special(m, "tokenizer.ggml.seperator_token_id", sepId, n);
    this.padding = special(m, "tokenizer.ggml.padding_token_id", padId, n);
    this.addBos = m.getBoolean("tokenizer.ggml.add_bos_token", bosDefault);
    this.addEos = m.getBoolean("tokenizer.ggml.add_eos_token", false);
    this.addSpacePrefix = m.getBoolean("tokenizer.ggml.add_space_prefix", spacePrefixDefault);
    this.cleanSpaces = clean;

    // llama.cpp recognises end-of-turn tokens by their text and makes them control tokens
    for (int id = 0; id < n; id++) {
      if (EOT_TEXTS.contains(texts[id])) {
        if (eotId < 0) {
          eotId = id;
        }
        attrs[id] |= Vocab.CONTROL;
        endOfGeneration.add(id);
      }
    }
    this.eot = eotId;
    for (int id : new int[] {eos, eotId, eomId}) {
      if (id >= 0) {
        endOfGeneration.add(id);
      }
    }

    this.encoder =
        switch (kind) {
          case LLAMA -> new SpmEncoder(vocab, unknown);
          case GPT2 -> {
            PreTokenizer.Config c = Objects.requireNonNull(config);
            yield new BpeEncoder(
                vocab,
                new PreTokenizer(c.regexes()),
                ranks(m.getStringArray("tokenizer.ggml.merges")),
                c.ignoreMerges());
          }
          case BERT -> {
            boolean lower = m.getBoolean("tokenizer.ggml.normalizer.lowercase", true);
            boolean strip = m.getBoolean("tokenizer.ggml.normalizer.strip_accents", lower);
            yield new WordPieceEncoder(vocab, unknown, lower, strip);
          }
        };

    List<Integer> specials = new ArrayList<>();
    for (int id = 0; id < n; id++) {
      if (vocab.has(id, Vocab.CONTROL | Vocab.USER_DEFINED | Vocab.UNKNOWN)) {
        specials.add(id);
      }
    }
    specials.sort(
        Comparator.comparingInt((Integer id) -> -texts[id].length())
            .thenComparingInt(Integer::intValue));
    this.specialTokens = specials.stream().mapToInt(Integer::intValue).toArray();
    this.pieces = new byte[n][];
  }

  /** The tokenizer of an open GGUF file. */
  public static Tokenizer fromGguf(GgufFile file) {
    return fromMetadata(file.metadata(), file.source());
  }

  /** The tokenizer described by {@code metadata}; {@code source} names the file in errors. */
  public static Tokenizer fromMetadata(GgufMetadata metadata, String source) {
    return new Tokenizer(metadata, source);
  }

  private static float[] scores(GgufMetadata m, int n, String source) {
    GgufValue value = m.find("tokenizer.ggml.scores");
    if (value == null) {
      return new float[n];
    }
    float[] scores;
    if (value.elementType().isInteger()) {
      int[] ints = m.getIntArray("tokenizer.ggml.scores");
      scores = new float[ints.length];
      for (int i = 0; i < ints.length; i++) {
        scores[i] = ints[i];
      }
    } else {
      scores = m.getFloatArray("tokenizer.ggml.scores");
    }
    if (scores.length < n) {
      throw new TokenizerException(
          source + ": tokenizer.ggml.scores has " + scores.length + " entries for " + n);
    }
    return scores;
  }

  /** A special token id from {@code key}, keeping {@code fallback} when absent or out of range. */
  private static int special(GgufMetadata m, String key, int fallback, int n) {
    int id = fallback >= n ? -1 : fallback;
    if (m.contains(key)) {
      long value = m.getLong(key);
      if (value >= 0 && value < n) {
        id = (int) value;
      }
    }
    return id;
  }

  private static Map<String, Integer> ranks(String[] merges) {
    Map<String, Integer> ranks = HashMap.newHashMap(merges.length);
    for (int i = 0; i < merges.length; i++) {
      int space = merges[i].indexOf(' ', 1);
      String key = space < 0 ? " " : merges[i];
      ranks.putIfAbsent(key, i);
    }
    return ranks;
  }

  public Kind kind() {
    return kind;
  }

  /** The {@code tokenizer.ggml.pre} name, empty when the file has none. */
  public String preTokenizer() {
    return pre;
  }

  public int vocabSize() {
    return vocab.size();
  }

  /** The stored text of a token (GPT-2 stand-in characters and U+2581 included). */
  public String tokenText(int id) {
    return vocab.texts[checkId(id)];
  }

  /**
   * The id of the token whose text is {@code text} exactly (as the vocabulary stores it), or -1.
   */
  public int tokenId(String text) {
    return vocab.id(text);
  }

  /** BOS ({@code [CLS]} for BERT), or -1 when the vocabulary has none. */
  public int bos() {
    return bos;
  }

  public int eos() {
    return eos;
  }

  public int eot() {
    return eot;
  }

  public int unknown() {
    return unknown;
  }

  public int separator() {
    return separator;
  }

  public int padding() {
    return padding;
  }

  public boolean addsBos() {
    return addBos;
  }

  public boolean addsEos() {
    return addEos;
  }

  /** Whether generation ends at this token (EOS, EOT, EOM and the known end-of-turn texts). */
  public boolean isEndOfGeneration(int id) {
    return endOfGeneration.contains(id);
  }

  /** Whether a token is a control token (BOS, EOS, chat markers), which text decoding omits. */
  public boolean isControl(int id) {
    return vocab.has(checkId(id), Vocab.CONTROL);
  }

  /** Encodes with special tokens in the text recognised as such ({@code parse_special}). */
  public int[] encode(String text, boolean addSpecial) {
    return encode(text, addSpecial, true);
  }

  /**
   * Encodes {@code text}. With {@code parseSpecial} false, control tokens written in the text are
   * tokenized as plain text (user-defined tokens are still matched whole, as in llama.cpp).
   */
  public int[] encode(String text, boolean addSpecial, boolean parseSpecial) {
    Vocab.IntList out = new Vocab.IntList();
    List<Object> fragments = partition(text, parseSpecial);
    switch (kind) {
      case LLAMA -> {
        if (addSpecial && addBos) {
          out.add(requireSpecial(bos, "BOS"));
        }
        boolean prevSpecial = true;
        for (Object fragment : fragments) {
          if (fragment instanceof String raw) {
            String s = addSpacePrefix && prevSpecial ? " " + raw : raw;
            encoder.encode(s.replace(' ', '\u2581'), out);
            prevSpecial = false;
          } else {
            out.add((Integer) fragment);
            prevSpecial = true;
          }
        }
        if (addSpecial && addEos) {
          out.add(requireSpecial(eos, "EOS"));
        }
      }
      case GPT2 -> {
        if (addSpecial && addBos) {
          out.add(requireSpecial(bos, "BOS"));
        }
        encodeFragments(fragments, out);
        if (addSpecial && addEos) {
          out.add(requireSpecial(eos, "EOS"));
        }
      }
      case BERT -> {
        if (addSpecial) {
          out.add(requireSpecial(bos, "CLS"));
        }
        encodeFragments(fragments, out);
        if (addSpecial) {
          out.add(requireSpecial(separator, "SEP"));
        }
      }
    }
    return out.toArray();
  }

  private void encodeFragments(List<Object> fragments, Vocab.IntList out) {
    for (Object fragment : fragments) {
      if (fragment instanceof String raw) {
        encoder.encode(raw, out);
      } else {
        out.add((Integer) fragment);
      }
    }
  }

  private static int requireSpecial(int id, String name) {
    if (id < 0) {
      throw new TokenizerException("the vocabulary has no " + name + " token to add");
    }
    return id;
  }

  /** Cuts special tokens out of the text: the result holds Strings (text) and Integers (ids). */
  private List<Object> partition(String text, boolean parseSpecial) {
    List<Object> fragments = new ArrayList<>();
    if (text.isEmpty()) {
      return fragments;
    }
    fragments.add(text);
    for (int id : specialTokens) {
      if (!parseSpecial && vocab.has(id, Vocab.CONTROL | Vocab.UNKNOWN)) {
        continue;
      }
      String special = vocab.texts[id];
      List<Object> next = new ArrayList<>(fragments.size());
      for (Object fragment : fragments) {
        if (!(fragment instanceof String raw) || !raw.contains(special)) {
          next.add(fragment);
          continue;
        }
        int from = 0;
        for (int at = raw.indexOf(special); at >= 0; at = raw.indexOf(special, from)) {
          if (at > from) {
            next.add(raw.substring(from, at));
          }
          next.add(id);
          from = at + special.length();
        }
        if (from < raw.length()) {
          next.add(raw.substring(from));
        }
      }
      fragments = next;
    }
    return fragments;
  }

  /**
   * The bytes a token stands for. Control and unknown tokens give their text only when {@code
   * special}, else nothing; unused and undefined tokens give nothing.
   */
  public byte[] piece(int id, boolean special) {
    checkId(id);
    if (!special && vocab.has(id, Vocab.CONTROL | Vocab.UNKNOWN)) {
      return new byte[0];
    }
    byte[] piece = pieces[id];
    if (piece == null) {
      piece = computePiece(id);
      pieces[id] = piece;
    }
    return piece;
  }

  private byte[] computePiece(int id) {
    String text = vocab.texts[id];
    if (vocab.has(id, Vocab.CONTROL | Vocab.UNKNOWN | Vocab.USER_DEFINED)) {
      return text.getBytes(StandardCharsets.UTF_8);
    }
    if (vocab.has(id, Vocab.NORMAL)) {
      if (kind != Kind.GPT2) {
        return text.replace('\u2581', ' ').getBytes(StandardCharsets.UTF_8);
      }
      ByteArrayOutputStream out = new ByteArrayOutputStream(text.length());
      text.codePoints()
          .forEach(
              cp -> {
                int b = Unicode.unicodeToByte(cp);
                if (b >= 0) {
                  out.write(b);
                } else {
                  String utf8 = Character.toString(cp);
                  StringBuilder hex = new StringBuilder();
                  for (byte x : utf8.getBytes(StandardCharsets.UTF_8)) {
                    hex.append(String.format(Locale.ROOT, "%02x", x & 0xFF));
                  }
                  out.writeBytes(
                      ("[UNK_BYTE_0x" + hex + text + "]").getBytes(StandardCharsets.UTF_8));
                }
              });
      return out.toByteArray();
    }
    if (vocab.has(id, Vocab.BYTE) && text.length() == 6 && text.startsWith("<0x")) {
      return new byte[] {(byte) Integer.parseInt(text.substring(3, 5), 16)};
    }
    return new byte[0];
  }

  /** The text of {@code ids}, control tokens omitted. */
  public String decode(int[] ids) {
    return decode(ids, false);
  }

  /**
   * The text of {@code ids}: a leading BOS (and trailing EOS, when the file adds one) is dropped,
   * the space the encoder prefixed (for {@code llama}) is removed from the first piece, and for
   * most {@code gpt2} and {@code bert} vocabularies llama.cpp's clean-up of spaces before
   * punctuation and contractions is applied. Invalid UTF-8 becomes U+FFFD.
   */
  public String decode(int[] ids, boolean renderSpecial) {
    int from = 0;
    int to = ids.length;
    if (addBos && to > 0 && ids[0] == bos) {
      from++;
    }
    if (addEos && to > from && ids[to - 1] == eos) {
      to--;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    boolean removeSpace = addSpacePrefix;
    for (int i = from; i < to; i++) {
      byte[] piece = piece(ids[i], renderSpecial);
      int skip = removeSpace && piece.length > 0 && piece[0] == ' ' ? 1 : 0;
      removeSpace = false;
      out.write(piece, skip, piece.length - skip);
    }
    byte[] bytes = out.toByteArray();
    if (cleanSpaces) {
      bytes = cleanSpaces(bytes);
    }
    return new String(bytes, StandardCharsets.UTF_8);
  }

  /** A decoder for a stream of generated tokens; control tokens are omitted. */
  public StreamDecoder streamDecoder() {
    return new StreamDecoder(this, false);
  }

  /** A decoder for a stream of generated tokens, rendering control tokens when asked. */
  public StreamDecoder streamDecoder(boolean renderSpecial) {
    return new StreamDecoder(this, renderSpecial);
  }

  /** llama.cpp's {@code clean_spaces} passes over the decoded bytes of {@code detokenize}. */
  static byte[] cleanSpaces(byte[] text) {
    int total1 = text.length;
    if (total1 == 0) {
      return text;
    }
    byte[] t = text.clone();
    int total = 1;
    for (int i = 1; i < total1; i++) {
      byte x = t[i];
      if (t[i - 1] == ' ' && (x == '?' || x == '!' || x == '.' || x == ',')) {
        total--;
      }
      t[total++] = x;
    }
    int total2 = total;
    total = 1;
    for (int i = 1; i < total2; i++) {
      byte x = t[i];
      if (x == '\'' && i + 1 < total2 && t[i - 1] == ' ' && t[i + 1] == ' ') {
        total--;
        t[++i] = 0;
      }
      t[total++] = x;
    }
    int total3 = total;
    total = 1;
    for (int i = 1; i < total3; i++) {
      byte x = t[i];
      if (t[i - 1] == ' ' && x == '\'' && i + 1 < total3) {
        byte x1 = t[i + 1];
        if (x1 == 's' || x1 == 'm') {
          total--;
        } else if (i + 2 < total3) {
          byte x2 = t[i + 2];
          if ((x1 == 'r' && x2 == 'e') || (x1 == 'v' && x2 == 'e')) {
            total--;
          }
        }
      }
      t[total++] = x;
    }
    return Arrays.copyOf(t, total);
  }

  private int checkId(int id) {
    if (id < 0 || id >= vocab.size()) {
      throw new IllegalArgumentException(
          "token id must be in [0, " + vocab.size() + ") but was " + id);
    }
    return id;
  }

  @Override
  public String toString() {
    return "Tokenizer[" + kind + (pre.isEmpty() ? "" : " " + pre) + ", " + vocab.size() + "]";
  }
}
