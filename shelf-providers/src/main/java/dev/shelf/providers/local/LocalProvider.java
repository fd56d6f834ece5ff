package dev.shelf.providers.local;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shelf.api.ChatChunk;
import dev.shelf.api.ChatMessage;
import dev.shelf.api.ChatRequest;
import dev.shelf.api.CompletionChunk;
import dev.shelf.api.CompletionRequest;
import dev.shelf.api.EmbeddingRequest;
import dev.shelf.api.EmbeddingResponse;
import dev.shelf.api.Usage;
import dev.shelf.engine.gguf.GgufFile;
import dev.shelf.engine.model.LlamaModel;
import dev.shelf.engine.model.LlamaSequence;
import dev.shelf.engine.runtime.DecodeBatcher;
import dev.shelf.engine.template.ChatTemplate;
import dev.shelf.engine.template.TemplateInput;
import dev.shelf.engine.tensor.Parallel;
import dev.shelf.engine.tensor.Simd;
import dev.shelf.engine.tokenizer.StreamDecoder;
import dev.shelf.engine.tokenizer.Tokenizer;
import dev.shelf.providers.spi.Call;
import dev.shelf.providers.spi.ChunkSink;
import dev.shelf.providers.spi.Provider;
import dev.shelf.providers.spi.ProviderException;
import dev.shelf.providers.spi.ProviderException.Kind;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * Serves GGUF models with the embedded engine. The request's model id is a GGUF path, relative to
 * the provider's {@code dir} or absolute; each file is loaded on first use and shared by every
 * request after (concurrent first requests wait for one load). Each request runs its own sequence.
 */
public final class LocalProvider implements Provider {
  /** Tokens generated when the request sets no limit. */
  public static final int DEFAULT_MAX_TOKENS = 256;

  private final String name;
  private final Path dir;
  private final Parallel parallel;
  private final boolean ownsParallel;
  private final Map<Path, Slot> models = new ConcurrentHashMap<>();

  /**
   * @param threads the engine threads for this provider, or 0 for the process-wide pool
   */
  public LocalProvider(String name, Path dir, int threads) {
    this.name = name;
    this.dir = dir;
    this.ownsParallel = threads > 0;
    this.parallel = threads > 0 ? new Parallel(threads) : Parallel.shared();
  }

  @Override
  public String name() {
    return name;
  }

  /** A loaded file: the weights stay mapped while the provider lives. */
  record Loaded(
      Path path,
      GgufFile file,
      LlamaModel model,
      Tokenizer tokenizer,
      ChatTemplate template,
      DecodeBatcher batcher) {}

  /** One file's load, done once; a failed load is not kept, so the next request retries. */
  private final class Slot {
    private final Path path;
    private @Nullable Loaded loaded;

    Slot(Path path) {
      this.path = path;
    }

    synchronized Loaded get() {
      Loaded l = loaded;
      if (l == null) {
        l = load(path);
        loaded = l;
      }
      return l;
    }

    synchronized void close() {
      Loaded l = loaded;
      if (l != null) {
        l.batcher().close();
        l.file().close();
        loaded = null;
      }
    }
  }

  Path resolve(String model) {
    Path p;
    try {
      p = Path.of(model);
    } catch (RuntimeException e) {
      throw new ProviderException(
          Kind.NOT_FOUND, "local model path '" + model + "' is not a valid path", e);
    }
    return (p.isAbsolute() ? p : dir.resolve(p)).normalize();
  }

  Loaded model(String model) {
    Path path = resolve(model);
    Slot slot = models.computeIfAbsent(path, Slot::new);
    try {
      return slot.get();
    } catch (RuntimeException e) {
      models.remove(path, slot);
      throw e;
    }
  }

  private Loaded load(Path path) {
    if (!Files.isRegularFile(path)) {
      throw new ProviderException(Kind.NOT_FOUND, "local model file not found: " + path);
    }
    GgufFile file;
    try {
      file = GgufFile.open(path);
    } catch (IOException e) {
      throw new ProviderException(
          Kind.NOT_FOUND, "local model file cannot be read: " + path + " (" + e + ")", e);
    } catch (RuntimeException e) {
      throw new ProviderException(
          Kind.BAD_REQUEST,
          "unsupported model file " + path + ": " + e.getMessage(),
          "unsupported_model",
          null,
          0,
          null,
          e);
    }
    try {
      LlamaModel model = LlamaModel.load(file, Simd.defaults(), parallel);
      Tokenizer tokenizer = Tokenizer.fromGguf(file);
      ChatTemplate template = ChatTemplate.fromGguf(file);
      return new Loaded(
          path, file, model, tokenizer, template, new DecodeBatcher(model, MAX_BATCH));
    } catch (RuntimeException e) {
      file.close();
      throw new ProviderException(
          Kind.BAD_REQUEST,
          "unsupported model file " + path + ": " + e.getMessage(),
          "unsupported_model",
          null,
          0,
          null,
          e);
    }
  }

  @Override
  public void chat(ChatRequest request, Call call, ChunkSink<ChatChunk> sink) {
    if (request.choices() != 1) {
      throw badRequest("the local provider generates one choice per request (n=1)", "n");
    }
    if (request.tools() != null && !request.tools().isEmpty()) {
      throw badRequest("the local provider does not support tools yet", "tools");
    }
    Loaded m = model(request.model());
    List<Map<String, Object>> messages = new ArrayList<>();
    for (ChatMessage msg : request.messages()) {
      Map<String, Object> map = new LinkedHashMap<>();
      map.put("role", msg.role());
      map.put("content", msg.textContent());
      messages.add(map);
    }
    String text;
    try {
      text = m.template().render(TemplateInput.of(messages));
    } catch (RuntimeException e) {
      throw new ProviderException(
          Kind.BAD_REQUEST,
          "the chat template of " + m.path() + " failed: " + e.getMessage(),
          "invalid_request_error",
          "messages",
          0,
          null,
          e);
    }
    int[] prompt = encode(m.tokenizer(), text);
    Sampler sampler =
        Sampler.of(request.temperature(), request.topP(), topK(request), request.seed());
    String id = "chatcmpl-local-" + call.requestId();
    long created = System.currentTimeMillis() / 1000;
    String model = request.model();
    boolean[] started = {false};
    Consumer<String> emit =
        s -> {
          if (s.isEmpty() && started[0]) {
            return;
          }
          String role = started[0] ? null : "assistant";
          started[0] = true;
          call.firstChunk();
          sink.accept(
              new ChatChunk(
                  id,
                  created,
                  model,
                  null,
                  List.of(
                      new ChatChunk.Choice(
                          0, new ChatChunk.Delta(role, s, null, null, null), null, null)),
                  null));
        };
    Result r = generate(m, prompt, request.outputLimit(), sampler, request.stop(), call, emit);
    if (!started[0]) {
      emit.accept("");
    }
    sink.accept(
        new ChatChunk(
            id,
            created,
            model,
            null,
            List.of(new ChatChunk.Choice(0, ChatChunk.Delta.EMPTY, r.finishReason(), null)),
            null));
    sink.accept(
        new ChatChunk(
            id, created, model, null, List.of(), new Usage(prompt.length, r.tokens(), null, null)));
  }

  @Override
  public void completion(CompletionRequest request, Call call, ChunkSink<CompletionChunk> sink) {
    if (request.n() != null && request.n() != 1) {
      throw badRequest("the local provider generates one choice per request (n=1)", "n");
    }
    Loaded m = model(request.model());
    int[] prompt = completionPrompt(m.tokenizer(), request.prompt());
    Integer topK = intExtra(request.extra().get("top_k"));
    JsonNode seedNode = request.extra().get("seed");
    Long seed = seedNode != null && seedNode.canConvertToLong() ? seedNode.asLong() : null;
    List<String> stop = stops(request.extra().get("stop"));
    Sampler sampler = Sampler.of(request.temperature(), request.topP(), topK, seed);
    String id = "cmpl-local-" + call.requestId();
    long created = System.currentTimeMillis() / 1000;
    String model = request.model();
    Consumer<String> emit =
        s -> {
          if (s.isEmpty()) {
            return;
          }
          call.firstChunk();
          sink.accept(
              new CompletionChunk(
                  id, created, model, List.of(new CompletionChunk.Choice(0, s, null, null)), null));
        };
    Result r = generate(m, prompt, request.maxTokens(), sampler, stop, call, emit);
    sink.accept(
        new CompletionChunk(
            id,
            created,
            model,
            List.of(new CompletionChunk.Choice(0, "", r.finishReason(), null)),
            null));
    sink.accept(
        new CompletionChunk(
            id, created, model, List.of(), new Usage(prompt.length, r.tokens(), null, null)));
  }

  @Override
  public EmbeddingResponse embed(EmbeddingRequest request, Call call) {
    throw new ProviderException(
        Kind.BAD_REQUEST,
        "the local provider does not serve embeddings",
        "unsupported_endpoint",
        null,
        0,
        null,
        null);
  }

  @Override
  public void close() {
    for (Slot s : models.values()) {
      s.close();
    }
    models.clear();
    if (ownsParallel) {
      parallel.close();
    }
  }

  /** How generation ended and how many tokens it sampled. */
  record Result(String finishReason, int tokens) {}

  /** The prompt's tokens: BOS per the file, once even when the rendered text starts with it. */
  static int[] encode(Tokenizer tokenizer, String text) {
    int[] ids = tokenizer.encode(text, true);
    if (ids.length >= 2 && tokenizer.addsBos() && ids[0] == ids[1] && ids[0] == tokenizer.bos()) {
      int[] out = new int[ids.length - 1];
      System.arraycopy(ids, 1, out, 0, out.length);
      return out;
    }
    return ids;
  }

  private static int[] completionPrompt(Tokenizer tokenizer, JsonNode prompt) {
    if (prompt.isTextual()) {
      return encode(tokenizer, prompt.asText());
    }
    if (prompt.isArray() && prompt.size() == 1 && prompt.get(0).isTextual()) {
      return encode(tokenizer, prompt.get(0).asText());
    }
    if (prompt.isArray() && !prompt.isEmpty()) {
      int[] ids = new int[prompt.size()];
      for (int i = 0; i < ids.length; i++) {
        JsonNode t = prompt.get(i);
        if (!t.isIntegralNumber() || t.asInt() < 0 || t.asInt() >= tokenizer.vocabSize()) {
          throw badRequest(
              "the local provider takes a prompt as a string, one string, or token ids in [0, "
                  + tokenizer.vocabSize()
                  + ")",
              "prompt");
        }
        ids[i] = t.asInt();
      }
      return ids;
    }
    throw badRequest(
        "the local provider takes a prompt as a string, one string, or token ids", "prompt");
  }

  private static @Nullable Integer topK(ChatRequest request) {
    return intExtra(request.extra().get("top_k"));
  }

  private static @Nullable Integer intExtra(@Nullable JsonNode node) {
    if (node == null || node.isNull()) {
      return null;
    }
    if (!node.isIntegralNumber() || node.asInt() < 0) {
      throw badRequest("top_k must be a non-negative integer", "top_k");
    }
    return node.asInt();
  }

  private static @Nullable List<String> stops(@Nullable JsonNode node) {
    if (node == null || node.isNull()) {
      return null;
    }
    if (node.isTextual()) {
      return List.of(node.asText());
    }
    List<String> out = new ArrayList<>();
    for (JsonNode s : node) {
      out.add(s.asText());
    }
    return out;
  }

  private static ProviderException badRequest(String message, @Nullable String param) {
    return new ProviderException(
        Kind.BAD_REQUEST, message, "invalid_request_error", param, 0, null, null);
  }

  /**
   * Runs {@code prompt} through a new sequence, then samples up to the limit, handing text to
   * {@code emit} as it becomes safe (never a stop string, nor text that may begin one).
   */
  /** Prompt tokens per prefill pass. */
  private static final int PREFILL_PASS = 128;

  /** Concurrent requests' decode steps run together, at most this many per pass. */
  private static final int MAX_BATCH = 16;

  static Result generate(
      Loaded m,
      int[] prompt,
      @Nullable Integer limit,
      Sampler sampler,
      @Nullable List<String> stopList,
      Call call,
      Consumer<String> emit) {
    if (prompt.length == 0) {
      throw badRequest("the prompt is empty", "prompt");
    }
    int context = m.model().config().contextLength();
    if (prompt.length >= context) {
      // CONTEXT_LENGTH, so the gateway can fall back to a model with a larger window.
      throw new ProviderException(
          Kind.CONTEXT_LENGTH,
          "the prompt is "
              + prompt.length
              + " tokens but the context of "
              + m.path().getFileName()
              + " is "
              + context
              + " tokens",
          "context_length_exceeded",
          "messages",
          0,
          null,
          null);
    }
    int max = Math.min(limit == null ? DEFAULT_MAX_TOKENS : limit, context - prompt.length);
    List<String> stops = new ArrayList<>();
    if (stopList != null) {
      for (String s : stopList) {
        if (!s.isEmpty()) {
          stops.add(s);
        }
      }
    }
    LlamaSequence seq = m.model().newSequence(Math.max(1, Math.min(context, prompt.length + max)));
    Tokenizer tokenizer = m.tokenizer();
    StreamDecoder decoder = tokenizer.streamDecoder();
    float[] logits = new float[0];
    // The prompt in passes of up to 128 tokens, each one read of the weights (the same logits as
    // feeding it token by token); a cancelled call stops between passes.
    for (int from = 0; from < prompt.length; from += PREFILL_PASS) {
      checkInterrupt(call);
      int to = Math.min(prompt.length, from + PREFILL_PASS);
      logits = seq.prefill(java.util.Arrays.copyOfRange(prompt, from, to), from);
    }
    StringBuilder pending = new StringBuilder();
    int generated = 0;
    String finish = "length";
    while (generated < max) {
      checkInterrupt(call);
      int token = sampler.sample(logits);
      generated++;
      if (tokenizer.isEndOfGeneration(token)) {
        finish = "stop";
        break;
      }
      pending.append(decoder.accept(token));
      int at = firstStop(pending, stops);
      if (at >= 0) {
        emit.accept(pending.substring(0, at));
        return new Result("stop", generated);
      }
      int safe = safeLength(pending, stops);
      if (safe > 0) {
        emit.accept(pending.substring(0, safe));
        pending.delete(0, safe);
      }
      if (generated < max) {
        // batched with the other requests decoding from this file (the same logits as alone)
        try {
          logits = m.batcher().step(seq, token);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          checkInterrupt(call);
        }
      }
    }
    pending.append(decoder.finish());
    int at = firstStop(pending, stops);
    if (at >= 0) {
      emit.accept(pending.substring(0, at));
      return new Result("stop", generated);
    }
    if (!pending.isEmpty()) {
      emit.accept(pending.toString());
    }
    return new Result(finish, generated);
  }

  private static void checkInterrupt(Call call) {
    if (Thread.currentThread().isInterrupted()) {
      throw call.aborted(new InterruptedException("generation interrupted"), "local generation");
    }
  }

  /** Where the earliest stop string starts in {@code text}, or -1. */
  static int firstStop(CharSequence text, List<String> stops) {
    int best = -1;
    String s = text.toString();
    for (String stop : stops) {
      int i = s.indexOf(stop);
      if (i >= 0 && (best < 0 || i < best)) {
        best = i;
      }
    }
    return best;
  }

  /** How much of {@code text} can be sent: all but a tail that could begin a stop string. */
  static int safeLength(CharSequence text, List<String> stops) {
    int n = text.length();
    String s = text.toString();
    int safe = n;
    for (String stop : stops) {
      for (int k = Math.max(0, n - stop.length() + 1); k < n; k++) {
        if (stop.startsWith(s.substring(k))) {
          safe = Math.min(safe, k);
          break;
        }
      }
    }
    return safe;
  }
}
