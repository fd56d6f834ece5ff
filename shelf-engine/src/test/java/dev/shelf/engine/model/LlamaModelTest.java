package dev.shelf.engine.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.shelf.engine.gguf.GgmlType;
import dev.shelf.engine.gguf.GgufException;
import dev.shelf.engine.gguf.GgufFile;
import dev.shelf.engine.gguf.GgufTensorInfo;
import dev.shelf.engine.gguf.GgufWriter;
import dev.shelf.engine.tensor.Parallel;
import dev.shelf.engine.tensor.Simd;
import dev.shelf.engine.tokenizer.Tokenizer;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The {@code llama} forward pass against llama.cpp on the stories260K fixture: greedy continuations
 * token for token and perplexity within 0.1%. The golden files and the commands that regenerate
 * them are described in ../shared/models/stories260k/README.md.
 */
class LlamaModelTest {
  private static GgufFile file;

  @BeforeAll
  static void open() throws IOException {
    file = GgufFile.open(StoriesFixture.gguf());
  }

  @AfterAll
  static void close() {
    file.close();
  }

  @Test
  void configComesFromTheMetadata() {
    LlamaConfig c = LlamaConfig.fromGguf(file);
    assertThat(c)
        .isEqualTo(new LlamaConfig("llama", 64, 5, 8, 4, 172, 1e-5f, 10_000f, 8, 128, 512));
    assertThat(c.headSize()).isEqualTo(8);
    assertThat(c.kvLength()).isEqualTo(32);
    assertThat(c.groupSize()).isEqualTo(2);
  }

  @Test
  void missingKeyIsNamed() {
    GgufWriter without = new GgufWriter();
    file.metadata()
        .asMap()
        .forEach(
            (k, v) -> {
              if (!k.equals("llama.feed_forward_length")) {
                without.put(k, v);
              }
            });
    GgufFile broken = GgufFile.parse(MemorySegment.ofArray(without.toByteArray()), "broken.gguf");
    assertThatThrownBy(() -> LlamaConfig.fromGguf(broken))
        .isInstanceOf(GgufException.class)
        .hasMessageContaining("broken.gguf")
        .hasMessageContaining("'llama.feed_forward_length' is missing");
  }

  static Stream<Arguments> greedyCases() throws IOException {
    List<?> cases =
        (List<?>)
            StoriesFixture.parseJson(
                Files.readString(StoriesFixture.dir().resolve("ref_greedy_continuations.json")));
    List<Arguments> args = new ArrayList<>();
    for (Simd simd : Simd.all()) {
      for (Object o : cases) {
        args.add(
            Arguments.of(
                simd,
                StoriesFixture.field(o, "prompt"),
                StoriesFixture.ints(StoriesFixture.field(o, "prompt_ids")),
                StoriesFixture.ints(StoriesFixture.field(o, "generated_ids"))));
      }
    }
    return args.stream();
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("greedyCases")
  void greedyContinuationsEqualLlamaCpp(Simd simd, String prompt, int[] promptIds, int[] expected) {
    Tokenizer tokenizer = Tokenizer.fromGguf(file);
    assertThat(tokenizer.encode(prompt, true)).containsExactly(promptIds);
    LlamaModel model = LlamaModel.load(file, simd, Parallel.shared());
    // llama-cli ran with -c 512
    int[] generated = model.newSequence(512).generate(promptIds, expected.length);
    assertThat(generated).containsExactly(expected);
  }

  @Test
  void perplexityEqualsLlamaPerplexity() throws IOException {
    Object ref =
        StoriesFixture.parseJson(
            Files.readString(StoriesFixture.dir().resolve("ref_perplexity.json")));
    int nCtx = (int) StoriesFixture.number(ref, "n_ctx");
    double expected = StoriesFixture.number(ref, "final_ppl");
    String text =
        Files.readString(StoriesFixture.dir().resolve("ppl_text_a.txt"), StandardCharsets.UTF_8);
    Tokenizer tokenizer = Tokenizer.fromGguf(file);
    int[] tokens = tokenizer.encode(text, true);
    assertThat(tokens)
        .hasSize((int) StoriesFixture.number(ref, "n_tokens_llama_tokenize_with_bos"));

    double ppl = Perplexity.of(LlamaModel.load(file), tokens, nCtx, tokenizer.bos());
    assertThat(ppl).isCloseTo(expected, org.assertj.core.data.Percentage.withPercentage(0.1));
  }

  @Test
  void withoutAnOutputMatrixTheEmbeddingIsTied() {
    GgufWriter writer = new GgufWriter().putAll(file.metadata());
    for (GgufTensorInfo t : file.tensors()) {
      if (!t.name().equals("output.weight")) {
        writer.addTensor(t.name(), t.type(), t.dims(), file.tensorData(t));
      }
    }
    GgufFile tied = GgufFile.parse(MemorySegment.ofArray(writer.toByteArray()), "tied.gguf");
    LlamaModel model = LlamaModel.load(tied);
    assertThat(model.output).isSameAs(model.tokenEmbedding);
    assertThat(model.tokenEmbedding.simd()).isEqualTo(Simd.defaults());
    assertThat(model.newSequence().forward(1, 0)).hasSize(512);
  }

  @Test
  void anUntiedEmbeddingIsReadByTheScalarDecodingAndDecodesNothingAtLoad() {
    LlamaModel model = LlamaModel.load(file);
    assertThat(model.tokenEmbedding.simd()).isEqualTo(Simd.SCALAR);
    assertThat(model.output.simd()).isEqualTo(Simd.defaults());
    // a Q4_K embedding would decode a quarter byte a weight of scales its kernels never read
    MemorySegment q4k = MemorySegment.ofArray(new byte[8 * 144]);
    GgufWriter untied = new GgufWriter().putAll(file.metadata());
    untied.addTensor("token_embd.weight", GgmlType.Q4_K, new long[] {256, 8}, q4k);
    untied.addTensor("output.weight", GgmlType.Q4_K, new long[] {256, 8}, q4k);
    untied.addTensor(
        "output_norm.weight",
        GgmlType.F32,
        new long[] {256},
        MemorySegment.ofArray(new float[256]));
    GgufFile withOutput =
        GgufFile.parse(MemorySegment.ofArray(untied.toByteArray()), "untied.gguf");
    long scales = Simd.defaults().isVector() ? 8 * 256 / 64 * 16 : 0;
    assertThat(LlamaModel.decodedBytes(withOutput)).isEqualTo(scales);
    GgufWriter tied = new GgufWriter().putAll(file.metadata());
    tied.addTensor("token_embd.weight", GgmlType.Q4_K, new long[] {256, 8}, q4k);
    GgufFile withoutOutput = GgufFile.parse(MemorySegment.ofArray(tied.toByteArray()), "tied.gguf");
    assertThat(LlamaModel.decodedBytes(withoutOutput)).isEqualTo(scales);
  }

  @Test
  void aTensorOfTheWrongShapeIsNamed() {
    GgufWriter writer = new GgufWriter().putAll(file.metadata());
    for (GgufTensorInfo t : file.tensors()) {
      if (t.name().equals("blk.3.attn_k.weight")) {
        writer.addTensor(t.name(), t.type(), new long[] {32, 64}, file.tensorData(t));
      } else {
        writer.addTensor(t.name(), t.type(), t.dims(), file.tensorData(t));
      }
    }
    GgufFile bad = GgufFile.parse(MemorySegment.ofArray(writer.toByteArray()), "bad.gguf");
    assertThatThrownBy(() -> LlamaModel.load(bad))
        .isInstanceOf(GgufException.class)
        .hasMessage("bad.gguf: tensor 'blk.3.attn_k.weight' has dims [32, 64], expected [64, 32]");
  }

  @Test
  void aPositionBeyondTheContextIsRefused() {
    LlamaModel model = LlamaModel.load(file);
    LlamaSequence seq = model.newSequence(4);
    for (int p = 0; p < 4; p++) {
      seq.forward(1, p);
    }
    assertThatThrownBy(() -> seq.forward(1, 4))
        .isInstanceOf(ContextOverflowException.class)
        .hasMessage("position 4 is beyond the context of 4 tokens (positions 0 to 3)");
    assertThat(model.newSequence().contextLength()).isEqualTo(128);
    assertThatThrownBy(() -> model.newSequence().generate(new int[100], 30))
        .isInstanceOf(ContextOverflowException.class)
        .hasMessageContaining("position 128 is beyond the context of 128 tokens");
    assertThatThrownBy(() -> seq.forward(1, 6)).isInstanceOf(ContextOverflowException.class);
    seq.reset();
    assertThatThrownBy(() -> seq.forward(1, 2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("position must be in [0, 0] (the next position) but was 2");
    assertThatThrownBy(() -> seq.forward(512, 0))
        .hasMessage("token must be in [0, 512) but was 512");
  }

  @Test
  void aCopiedPrefixContinuesExactlyAsAFreshPrefill() {
    LlamaModel model = LlamaModel.load(file);
    int[] prompt = {1, 403, 407, 261, 378, 362, 439, 307, 284, 365, 296, 394};
    int shared = 8;
    LlamaSequence donor = model.newSequence(16);
    donor.prefill(java.util.Arrays.copyOf(prompt, 10), 0); // fed further than is shared

    LlamaSequence fresh = model.newSequence(40);
    float[] expected = fresh.prefill(prompt, 0);
    float[] expectedNext = fresh.forward(42, prompt.length);

    LlamaSequence copied = model.newSequence(40); // another context: another key layout
    copied.copyPrefix(donor, shared);
    assertThat(copied.length()).isEqualTo(shared);
    float[] got =
        copied.prefill(java.util.Arrays.copyOfRange(prompt, shared, prompt.length), shared);
    assertThat(got).containsExactly(expected);
    assertThat(copied.forward(42, prompt.length)).containsExactly(expectedNext);

    assertThatThrownBy(() -> model.newSequence(4).copyPrefix(donor, 8))
        .hasMessage("cannot copy 8 positions from a sequence of 10 into one of context 4");
    assertThatThrownBy(() -> copied.copyPrefix(donor, 11))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
