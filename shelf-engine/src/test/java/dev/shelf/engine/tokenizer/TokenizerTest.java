package dev.shelf.engine.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.shelf.engine.gguf.GgufFile;
import dev.shelf.engine.gguf.GgufWriter;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Golden ids for stories260K, round trips, special tokens, streaming and errors. */
class TokenizerTest {
  private static final String ROUND_TRIP_TEXT =
      "Hello world! Café naïve 東京 🦙🚀 tabs\tand\nnewlines  \n  x = 42;";

  private static Tokenizer load(Path gguf) throws IOException {
    try (GgufFile file = GgufFile.open(gguf)) {
      return Tokenizer.fromGguf(file);
    }
  }

  /**
   * {@code ref_tokenize.json} holds {@code llama-tokenize -m stories260K.gguf -p TEXT --ids} output
   * (BOS added) from llama.cpp c392e509; see {@code ../shared/models/stories260k/README.md}.
   */
  @Test
  @SuppressWarnings("unchecked")
  void stories260kMatchesLlamaTokenize() throws IOException {
    Tokenizer tokenizer = load(Fixtures.stories260k());
    String json =
        Files.readString(
            Fixtures.models().resolve("stories260k/ref_tokenize.json"), StandardCharsets.UTF_8);
    List<Object> cases = (List<Object>) Fixtures.parseJson(json);
    assertThat(cases).hasSize(5);
    for (Object o : cases) {
      Map<String, Object> c = (Map<String, Object>) o;
      String text = (String) Objects.requireNonNull(c.get("text"));
      int[] expected =
          ((List<Object>) Objects.requireNonNull(c.get("ids_with_bos")))
              .stream().mapToInt(x -> ((Double) x).intValue()).toArray();
      assertThat(tokenizer.encode(text, true)).as(Fixtures.escape(text)).containsExactly(expected);
      assertThat(tokenizer.decode(expected)).isEqualTo(text);
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "ggml-vocab-llama-spm.gguf",
        "ggml-vocab-baichuan.gguf",
        "ggml-vocab-gpt-2.gguf",
        "ggml-vocab-deepseek-coder.gguf",
        "ggml-vocab-falcon.gguf",
        "ggml-vocab-starcoder.gguf"
      })
  void decodeInvertsEncode(String name) throws IOException {
    Tokenizer tokenizer = load(Fixtures.vocab(name));
    for (String text : List.of(ROUND_TRIP_TEXT, "", " leading space", "x", "日本語のテキスト")) {
      assertThat(tokenizer.decode(tokenizer.encode(text, false))).isEqualTo(text);
      assertThat(tokenizer.decode(tokenizer.encode(text, true))).isEqualTo(text);
    }
  }

  @Test
  void stories260kRoundTripsThroughByteFallback() throws IOException {
    Tokenizer tokenizer = load(Fixtures.stories260k());
    int[] ids = tokenizer.encode(ROUND_TRIP_TEXT, true);
    assertThat(ids[0]).isEqualTo(tokenizer.bos());
    assertThat(tokenizer.decode(ids)).isEqualTo(ROUND_TRIP_TEXT);
  }

  @Test
  void bertAddsClsAndSepAndLowercases() throws IOException {
    Tokenizer tokenizer = load(Fixtures.vocab("ggml-vocab-bert-bge.gguf"));
    int[] ids = tokenizer.encode("Hello World", true);
    assertThat(ids).startsWith(101).endsWith(102);
    assertThat(tokenizer.encode("Hello World", false)).containsExactly(7592, 2088);
    assertThat(tokenizer.encode("HÉLLO wörld", false))
        .containsExactly(tokenizer.encode("hello world", false));
    assertThat(tokenizer.decode(tokenizer.encode("Hello, World!", false)))
        .isEqualTo(" hello, world!");
  }

  @Test
  void specialTokensInTheTextAreWholeTokensOnlyWhenParsed() throws IOException {
    Tokenizer gpt2 = load(Fixtures.vocab("ggml-vocab-gpt-2.gguf"));
    int[] parsed = gpt2.encode("a<|endoftext|>b", false, true);
    assertThat(parsed).containsExactly(64, 50256, 65);
    assertThat(gpt2.encode("a<|endoftext|>b", false, false))
        .doesNotContain(50256)
        .hasSizeGreaterThan(3);
    assertThat(gpt2.encode("<|endoftext|>", false)).containsExactly(50256);
    assertThat(gpt2.isEndOfGeneration(50256)).isTrue();
    assertThat(gpt2.decode(parsed)).isEqualTo("ab");
    assertThat(gpt2.decode(parsed, true)).isEqualTo("a<|endoftext|>b");

    Tokenizer llama = load(Fixtures.vocab("ggml-vocab-llama-spm.gguf"));
    int hello = llama.encode("Hello", false)[0];
    // a space prefix is added again after each special token, as in llama.cpp
    assertThat(llama.encode("<s>Hello</s>", true)).containsExactly(1, 1, hello, 2);
    assertThat(llama.encode("</s>", false, false)).doesNotContain(2);
  }

  @Test
  void userDefinedTokensMatchEvenWithoutParseSpecial() throws IOException {
    Tokenizer coder = load(Fixtures.vocab("ggml-vocab-deepseek-coder.gguf"));
    // 'ü' is a user-defined token (32009) in deepseek-coder's vocabulary
    assertThat(coder.encode("Führer", false, false)).containsExactly(37, 32009, 71, 6247);
  }

  @Test
  void streamDecoderHoldsBackSplitCharacters() throws IOException {
    Tokenizer tokenizer = load(Fixtures.stories260k());
    String text = " 東京🦙é";
    int[] ids = tokenizer.encode(text, false);
    // stories260K has no piece for these characters: each byte is its own <0xNN> token
    assertThat(ids.length).isGreaterThan(text.length());
    StreamDecoder stream = tokenizer.streamDecoder();
    StringBuilder out = new StringBuilder();
    int emptyChunks = 0;
    for (int id : ids) {
      String chunk = stream.accept(id);
      assertThat(chunk.indexOf('\uFFFD')).as("chunk %s", chunk).isNegative();
      if (!chunk.isEmpty()) {
        assertThat(Character.isHighSurrogate(chunk.charAt(chunk.length() - 1))).isFalse();
      } else {
        emptyChunks++;
      }
      out.append(chunk);
    }
    out.append(stream.finish());
    assertThat(emptyChunks).isPositive();
    // a stream continues a prompt, so it keeps the space prefix that decode() removes
    assertThat(out.toString()).isEqualTo(" " + text);
    assertThat(tokenizer.decode(ids)).isEqualTo(text);
  }

  @Test
  void streamDecoderOnByteLevelBpeSplitsOnlyAtCharacters() throws IOException {
    Tokenizer tokenizer = load(Fixtures.vocab("ggml-vocab-gpt-2.gguf"));
    String text = "Emoji: 😶‍🌫️ and 🦙, Khmer កាន់តែពិសេស";
    StreamDecoder stream = tokenizer.streamDecoder();
    StringBuilder out = new StringBuilder();
    for (int id : tokenizer.encode(text, false)) {
      String chunk = stream.accept(id);
      assertThat(chunk).doesNotContain("\uFFFD");
      out.append(chunk);
    }
    assertThat(stream.hasPending()).isFalse();
    assertThat(out.append(stream.finish()).toString()).isEqualTo(text);
  }

  @Test
  void streamDecoderFlushesAnUnfinishedCharacterAsReplacement() throws IOException {
    Tokenizer tokenizer = load(Fixtures.stories260k());
    int[] ids = tokenizer.encode("東", false);
    StreamDecoder stream = tokenizer.streamDecoder();
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < ids.length - 1; i++) {
      out.append(stream.accept(ids[i]));
    }
    assertThat(stream.hasPending()).isTrue();
    assertThat(out.append(stream.finish()).toString()).isEqualTo(" \uFFFD");
  }

  @Test
  void unknownTokenizerModelIsAClearError() {
    GgufWriter w =
        new GgufWriter()
            .putString("general.architecture", "llama")
            .putString("tokenizer.ggml.model", "sentencepiece-unigram-xyz")
            .putStringArray("tokenizer.ggml.tokens", List.of("<unk>", "a"));
    GgufFile file = GgufFile.parse(MemorySegment.ofArray(w.toByteArray()), "weird.gguf");
    assertThatThrownBy(() -> Tokenizer.fromGguf(file))
        .isInstanceOf(TokenizerException.class)
        .hasMessageContaining("weird.gguf")
        .hasMessageContaining("'sentencepiece-unigram-xyz'")
        .hasMessageContaining("tokenizer.ggml.model");
  }

  @Test
  void unknownPreTokenizerIsAClearError() {
    GgufWriter w =
        new GgufWriter()
            .putString("tokenizer.ggml.model", "gpt2")
            .putString("tokenizer.ggml.pre", "no-such-pre")
            .putStringArray("tokenizer.ggml.tokens", List.of("a", "b", "ab"))
            .putStringArray("tokenizer.ggml.merges", List.of("a b"));
    GgufFile file = GgufFile.parse(MemorySegment.ofArray(w.toByteArray()), "pre.gguf");
    assertThatThrownBy(() -> Tokenizer.fromGguf(file))
        .isInstanceOf(TokenizerException.class)
        .hasMessageContaining("'no-such-pre'")
        .hasMessageContaining("tokenizer.ggml.pre");
  }

  @Test
  void llama3AndQwen2PreTokenizersSplitLikeLlamaCpp() {
    // the words llama.cpp's unicode_regex_split produces (before byte encoding)
    PreTokenizer llama3 = new PreTokenizer(List.of(PreTokenizer.LLAMA3));
    assertThat(llama3.split("Hello, y'all! 1234567 I'VE\n\n  x"))
        .containsExactly(
            "Hello", ",", " y", "'all", "!", " ", "123", "456", "7", " I", "'VE", "\n\n", " ",
            " x");
    PreTokenizer qwen2 = new PreTokenizer(List.of(PreTokenizer.QWEN2));
    assertThat(qwen2.split("abc 123 東京")).containsExactly("abc", " ", "1", "2", "3", " 東京");
    for (String name :
        List.of(
            "default",
            "llama-bpe",
            "qwen2",
            "deepseek-llm",
            "deepseek-coder",
            "falcon",
            "starcoder",
            "gpt-2",
            "smollm",
            "stablelm2",
            "bloom",
            "dbrx")) {
      PreTokenizer.Config config = Objects.requireNonNull(PreTokenizer.config(name), name);
      String text = "Hello, y'all! 1234 東京 🦙\n\n  x";
      assertThat(String.join("", new PreTokenizer(config.regexes()).split(text)))
          .as(name)
          .isEqualTo(text);
    }
    assertThat(
            new PreTokenizer(Objects.requireNonNull(PreTokenizer.config("deepseek-llm")).regexes())
                .split("Hello 東京 123"))
        .containsExactly("Hello", " ", "東京", " ", "123");
  }

  @Test
  void badTokenIdIsRejectedWithTheValue() throws IOException {
    Tokenizer tokenizer = load(Fixtures.stories260k());
    assertThatThrownBy(() -> tokenizer.piece(512, false))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("512");
  }
}
