package dev.shelf.providers.local;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shelf.api.ChatChunk;
import dev.shelf.api.ChatRequest;
import dev.shelf.api.CompletionChunk;
import dev.shelf.api.CompletionRequest;
import dev.shelf.api.EmbeddingRequest;
import dev.shelf.api.EmbeddingResponse;
import dev.shelf.api.Usage;
import dev.shelf.engine.gguf.GgufFile;
import dev.shelf.engine.model.Embedder;
import dev.shelf.engine.model.LlamaModel;
import dev.shelf.engine.runtime.DecodeBatcher;
import dev.shelf.engine.runtime.KvBudget;
import dev.shelf.engine.template.ChatTemplate;
import dev.shelf.engine.tensor.Parallel;
import dev.shelf.engine.tokenizer.Tokenizer;
import dev.shelf.providers.spi.Call;
import dev.shelf.providers.spi.ChunkSink;
import dev.shelf.providers.spi.Provider;
import dev.shelf.providers.spi.ProviderException;
import dev.shelf.providers.spi.ProviderException.Kind;
import dev.shelf.providers.spi.ResidentModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * Serves GGUF models with the embedded engine. The request's model id is a GGUF path, relative to
 * the provider's {@code dir} or absolute; each file is loaded on first use (or ahead of it: {@link
 * #preload}) and shared by every request after (concurrent first requests wait for one load), until
 * it is unloaded ({@link ModelSlot}, {@link Resident}). Each request runs its own sequence, one per
 * choice ({@link Choices}).
 */
public final class LocalProvider implements Provider {
  /** Tokens generated when the request sets no limit. */
  public static final int DEFAULT_MAX_TOKENS = 256;

  private final String name;
  private final Path dir;
  private final Parallel parallel;
  private final boolean ownsParallel;
  private final Map<Path, ModelSlot> models = new ConcurrentHashMap<>();
  private final Memory memory;

  /**
   * @param threads the engine threads for this provider, or 0 for the process-wide pool
   */
  public LocalProvider(String name, Path dir, int threads) {
    this(name, dir, threads, Memory.defaults());
  }

  /** With its memory bounds ({@link Memory}). */
  LocalProvider(String name, Path dir, int threads, Memory memory) {
    this.name = name;
    this.dir = dir;
    this.ownsParallel = threads > 0;
    this.parallel = threads > 0 ? new Parallel(threads) : Parallel.shared();
    this.memory = memory;
  }

  Memory memory() {
    return memory;
  }

  @Override
  public String name() {
    return name;
  }

  /** The files loaded now, by their path relative to {@code dir} when they lie under it. */
  @Override
  public List<ResidentModel> resident() {
    List<ResidentModel> out = new ArrayList<>();
    models.forEach(
        (path, slot) -> {
          Loaded l = slot.peek();
          if (l != null) {
            String model = path.startsWith(dir) ? dir.relativize(path).toString() : path.toString();
            ResidentModel state = memory.resident().state(l.place(), model);
            if (state != null) {
              out.add(state);
            }
          }
        });
    out.sort(java.util.Comparator.comparing(ResidentModel::model));
    return out;
  }

  /**
   * A loaded file: the weights stay mapped until the provider closes or the file is unloaded
   * ({@link ModelSlot}: for another model's room, or after its keep-alive).
   */
  record Loaded(
      Path path,
      GgufFile file,
      LlamaModel model,
      Tokenizer tokenizer,
      ChatTemplate template,
      DecodeBatcher batcher,
      PrefixCache prefixes,
      Resident.Place place) {}

  private ModelSlot slot(Path path) {
    return new ModelSlot(path, memory, parallel);
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

  /**
   * The file's load, loading it when it is not (tests; requests hold a use while they run: {@link
   * #using}).
   */
  Loaded model(String model) {
    return using(model, l -> l);
  }

  /** The file's load when it is loaded, else null (never loads). */
  @Nullable Loaded loaded(String model) {
    ModelSlot slot = models.get(resolve(model));
    return slot == null ? null : slot.peek();
  }

  /**
   * Loads the file now and warms it up ({@link ModelSlot#warm}), so that its first request runs at
   * full speed: without it, that request pays for the load and for the JIT compiling the kernels
   * (seconds on a 1B model). Failures are those of a request for the file.
   */
  @Override
  public void preload(String model) {
    Path path = resolve(model);
    ModelSlot slot = models.computeIfAbsent(path, this::slot);
    try {
      slot.warm();
    } catch (RuntimeException e) {
      models.remove(path, slot);
      throw e;
    }
  }

  @Override
  public void unpreload(String model) {
    ModelSlot slot = models.get(resolve(model));
    if (slot != null) {
      slot.unpreload();
    }
  }

  /** As {@link #using}, for a body that returns nothing. */
  private void with(String model, java.util.function.Consumer<Loaded> body) {
    using(
        model,
        l -> {
          body.accept(l);
          return Boolean.TRUE;
        });
  }

  /**
   * Runs {@code body} with the request's model loaded and in use; a failed load forgets the slot,
   * so that a file that is missing or unsupported holds nothing.
   */
  private <T> T using(String model, java.util.function.Function<Loaded, T> body) {
    Path path = resolve(model);
    ModelSlot slot = models.computeIfAbsent(path, this::slot);
    Loaded l;
    try {
      l = slot.acquire();
    } catch (RuntimeException e) {
      models.remove(path, slot);
      throw e;
    }
    try {
      return body.apply(l);
    } catch (OutOfMemoryError e) {
      // the heap was fuller than the KV budgets and the headroom beside them counted (other
      // requests' buffers): this request fails, what it allocated is garbage now, the rest go on
      throw new ProviderException(
          Kind.UNAVAILABLE,
          "the JVM's heap ran out while answering with " + model + ": raise the heap" + HEAP,
          "model_memory_heap",
          null,
          0,
          null,
          e);
    } finally {
      slot.release(l);
    }
  }

  private static final String HEAP = " (SHELF_HEAP, or -Xmx)";

  /**
   * A chat answer; with {@code n > 1} that many choices, decoded together ({@link Choices}), their
   * chunks interleaved, each with its index, and {@code usage} counting all their tokens.
   */
  @Override
  public void chat(ChatRequest request, Call call, ChunkSink<ChatChunk> sink) {
    int n = request.choices();
    Choices.check(n);
    with(request.model(), m -> chat(m, n, request, call, sink));
  }

  private void chat(Loaded m, int n, ChatRequest request, Call call, ChunkSink<ChatChunk> sink) {
    ChatPrompt chat = ChatPrompt.of(request, m.template(), m.path());
    int[] prompt = encode(m.tokenizer(), chat.text());
    LocalParams params = LocalParams.of(request);
    String id = "chatcmpl-local-" + call.requestId();
    long created = System.currentTimeMillis() / 1000;
    String model = request.model();
    Object lock = new Object();
    ChunkSink<ChatChunk> out =
        c -> {
          synchronized (lock) {
            call.firstChunk();
            sink.accept(c);
          }
        };
    int[] tokens = new int[n];
    Choices.run(
        m,
        memory,
        params,
        call,
        n,
        prompt.length,
        "messages",
        prompt,
        (index, generation) ->
            tokens[index] =
                chatChoice(
                    m,
                    chat,
                    prompt,
                    params,
                    generation,
                    (delta, finish, logprobs) ->
                        out.accept(
                            new ChatChunk(
                                id,
                                created,
                                model,
                                null,
                                List.of(new ChatChunk.Choice(index, delta, finish, logprobs)),
                                null))));
    int completion = 0;
    for (int t : tokens) {
      completion += t;
    }
    out.accept(
        new ChatChunk(
            id, created, model, null, List.of(), new Usage(prompt.length, completion, null, null)));
  }

  /** Sends one choice's delta, finish reason or log-probabilities. */
  @FunctionalInterface
  private interface ChoiceSink {
    void accept(ChatChunk.Delta delta, @Nullable String finish, @Nullable JsonNode logprobs);
  }

  /** Generates one choice of a chat: content, tool calls, its finish; returns its tokens. */
  private static int chatChoice(
      Loaded m,
      ChatPrompt chat,
      int[] prompt,
      LocalParams params,
      Generation generation,
      ChoiceSink sink) {
    boolean[] started = {false};
    Generation.Emitter emit =
        (s, tokens) -> {
          if (s.isEmpty() && tokens.isEmpty() && started[0]) {
            return;
          }
          String role = started[0] ? null : "assistant";
          started[0] = true;
          sink.accept(
              new ChatChunk.Delta(role, s, null, null, null),
              null,
              params.logprobs()
                  ? LogprobsJson.chat(m.tokenizer(), tokens, params.topLogprobs())
                  : null);
        };
    ToolFormat format = chat.format();
    ToolCallStream tools = format == null ? null : new ToolCallStream(format, chat.forced(), emit);
    Generation.Emitter answer = tools == null ? emit : tools;
    ThinkStream think =
        chat.thinking() == ChatPrompt.Thinking.NONE
            ? null
            : new ThinkStream(
                chat.thinking() == ChatPrompt.Thinking.OPEN,
                text -> {
                  String role = started[0] ? null : "assistant";
                  started[0] = true;
                  sink.accept(new ChatChunk.Delta(role, null, text, null, null), null, null);
                },
                answer);
    ChatPrompt.Output output = chat.output();
    Generation.Result r =
        generation.run(
            prompt, think == null ? answer : think, output == null ? null : output.grammar());
    if (think != null) {
      think.finish();
    }
    List<ToolFormat.Call> calls = tools == null ? List.of() : tools.finish();
    if (!chat.parallel() && calls.size() > 1) {
      calls = calls.subList(0, 1);
    }
    String finish = r.finishReason();
    if (format != null && !calls.isEmpty()) {
      List<ChatChunk.ToolCallDelta> deltas = new ArrayList<>();
      for (int i = 0; i < calls.size(); i++) {
        ToolFormat.Call c = calls.get(i);
        deltas.add(
            new ChatChunk.ToolCallDelta(i, ChatPrompt.newCallId(format), c.name(), c.arguments()));
      }
      sink.accept(
          new ChatChunk.Delta(started[0] ? null : "assistant", null, null, deltas, null),
          null,
          null);
      started[0] = true;
      finish = "tool_calls";
    }
    if (!started[0]) {
      emit.emit("", List.of());
    }
    sink.accept(ChatChunk.Delta.EMPTY, finish, null);
    return r.tokens();
  }

  /**
   * A text completion of one prompt or of several (a list of strings or of token-id lists): one
   * choice per prompt, {@code index} the prompt's, run one after another through one sequence that
   * keeps the KV the prompts share. With {@code echo} a choice's text begins with its prompt, and
   * with {@code logprobs} its tokens come with theirs: {@code echo: true, logprobs: 0, max_tokens:
   * 0} scores a text without generating (prompt log-likelihoods, as vLLM answers it).
   */
  @Override
  public void completion(CompletionRequest request, Call call, ChunkSink<CompletionChunk> sink) {
    int n = request.n() == null ? 1 : request.n();
    Choices.check(n);
    with(request.model(), m -> completion(m, n, request, call, sink));
  }

  private void completion(
      Loaded m, int n, CompletionRequest request, Call call, ChunkSink<CompletionChunk> sink) {
    LocalParams params = LocalParams.of(request);
    JsonNode suffix = request.extra().get("suffix");
    List<int[]> prompts =
        suffix == null || suffix.isNull()
            ? completionPrompts(m.tokenizer(), request.prompt())
            : infillPrompts(m, request.prompt(), suffix, params);
    String id = "cmpl-local-" + call.requestId();
    long created = System.currentTimeMillis() / 1000;
    String model = request.model();
    int longest = 0;
    int promptTokens = 0;
    for (int[] p : prompts) {
      longest = Math.max(longest, p.length);
      promptTokens += p.length;
    }
    Object lock = new Object();
    ChunkSink<CompletionChunk> out =
        c -> {
          synchronized (lock) {
            call.firstChunk();
            sink.accept(c);
          }
        };
    ChatPrompt.Output output = ChatPrompt.output(request.extra());
    if (params.bestOf() > 1) { // more candidates than choices
      bestOf(request, call, sink, m, prompts, params, output, n, longest, promptTokens);
      return;
    }
    int[] tokens = new int[n];
    // choice j runs every prompt in turn; prompt p's j-th answer has index p * n + j (OpenAI's)
    Choices.run(
        m,
        memory,
        params,
        call,
        n,
        longest,
        "prompt",
        prompts.getFirst(),
        (j, generation) -> {
          for (int p = 0; p < prompts.size(); p++) {
            int choice = p * n + j;
            Generation.Emitter emit =
                (s, scored) ->
                    out.accept(
                        new CompletionChunk(
                            id,
                            created,
                            model,
                            List.of(
                                new CompletionChunk.Choice(
                                    choice,
                                    s,
                                    null,
                                    params.logprobs()
                                        ? LogprobsJson.completion(
                                            m.tokenizer(), scored, params.topLogprobs())
                                        : null)),
                            null));
            Generation.Result r =
                generation.run(prompts.get(p), emit, output == null ? null : output.grammar());
            tokens[j] += r.tokens();
            out.accept(
                new CompletionChunk(
                    id,
                    created,
                    model,
                    List.of(new CompletionChunk.Choice(choice, "", r.finishReason(), null)),
                    null));
          }
        });
    int completionTokens = 0;
    for (int t : tokens) {
      completionTokens += t;
    }
    out.accept(
        new CompletionChunk(
            id, created, model, List.of(), new Usage(promptTokens, completionTokens, null, null)));
  }

  /**
   * Embeddings from a GGUF file ({@link Embedder}): each input's final hidden states pooled as the
   * file says ({@code pooling_type}; mean when it says nothing), unit length. Inputs are packed
   * into shared passes over the weights; the call stops between groups of inputs when cancelled.
   */
  @Override
  public EmbeddingResponse embed(EmbeddingRequest request, Call call) {
    return using(request.model(), m -> embed(m, request, call));
  }

  private EmbeddingResponse embed(Loaded m, EmbeddingRequest request, Call call) {
    Embedder.Pooling pooling;
    try {
      pooling = Embedder.Pooling.of(m.file().metadata(), m.model().architecture());
    } catch (IllegalArgumentException e) {
      throw new ProviderException(
          Kind.BAD_REQUEST,
          "the local provider cannot embed with " + m.path() + ": " + e.getMessage(),
          "unsupported_model",
          null,
          0,
          null,
          e);
    }
    int dim = m.model().config().embeddingLength();
    Integer dims = request.dimensions();
    if (dims != null && dims != dim) {
      throw badRequest(
          m.path().getFileName()
              + " makes "
              + dim
              + "-dimensional embeddings and cannot shorten them; omit 'dimensions' or send "
              + dim
              + " (got "
              + dims
              + ").",
          "dimensions");
    }
    List<int[]> inputs = embeddingInputs(m.tokenizer(), request.input());
    int context = m.model().config().contextLength();
    int longest = 0;
    int tokens = 0;
    for (int[] in : inputs) {
      if (in.length > context) {
        throw Generation.tooLong(m, "an input", in.length, "input");
      }
      longest = Math.max(longest, in.length);
      tokens += in.length;
    }
    float[][] vectors = new float[inputs.size()][];
    // live KV (Embedder's batching): a pass can hold the end of one input, whole short ones, and
    // the start of the next, each sequence allocated at its input's full length
    try (KvBudget.Reservation kv = memory.reserve(m, 2 * longest + 128)) {
      for (int from = 0; from < inputs.size(); from += EMBED_GROUP) {
        if (Thread.currentThread().isInterrupted()) {
          throw call.aborted(new InterruptedException("embedding interrupted"), "local embedding");
        }
        List<int[]> group = inputs.subList(from, Math.min(inputs.size(), from + EMBED_GROUP));
        float[][] out = Embedder.embed(m.model(), group, pooling);
        System.arraycopy(out, 0, vectors, from, out.length);
      }
    }
    boolean base64 = "base64".equals(request.encodingFormat());
    List<EmbeddingResponse.Item> items = new ArrayList<>(vectors.length);
    for (int i = 0; i < vectors.length; i++) {
      items.add(new EmbeddingResponse.Item(i, EmbeddingResponse.encode(vectors[i], base64)));
    }
    return new EmbeddingResponse(items, request.model(), tokens);
  }

  /** Inputs embedded between checks for cancellation. */
  private static final int EMBED_GROUP = 128;

  /**
   * The inputs of an embeddings request as tokens (a string, strings, token ids, lists of token
   * ids): strings with the file's BOS and EOS, as llama.cpp's server tokenizes them.
   */
  static List<int[]> embeddingInputs(Tokenizer tokenizer, JsonNode input) {
    if (input.isTextual()) {
      return List.of(nonEmpty(tokenizer.encode(input.asText(), true)));
    }
    if (input.isArray() && !input.isEmpty() && input.get(0).isIntegralNumber()) {
      return List.of(tokenIds(tokenizer, input, "input"));
    }
    List<int[]> out = new ArrayList<>();
    for (JsonNode in : input) {
      if (in.isTextual()) {
        out.add(nonEmpty(tokenizer.encode(in.asText(), true)));
      } else if (in.isArray() && !in.isEmpty()) {
        out.add(tokenIds(tokenizer, in, "input"));
      } else {
        throw badRequest(
            "the local provider takes input as a string, strings, token ids, or lists of token"
                + " ids",
            "input");
      }
    }
    return out;
  }

  private static int[] nonEmpty(int[] ids) {
    if (ids.length == 0) {
      throw badRequest("an input has no tokens (the file adds no BOS): give some text", "input");
    }
    return ids;
  }

  @Override
  public void close() {
    for (ModelSlot s : models.values()) {
      s.close();
    }
    models.clear();
    if (ownsParallel) {
      parallel.close();
    }
    Memory.release(memory.kv()); // an own budget no longer takes the heap
  }

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

  /** One candidate answer of {@code best_of}: its pieces as they came, how it ended, its score. */
  private record Candidate(
      List<CompletionChunk.Choice> pieces, String finish, int tokens, double logprob) {
    /** OpenAI's ranking: the log-probability per token. */
    double perToken() {
      return logprob / Math.max(1, tokens);
    }
  }

  /**
   * {@code best_of}: that many candidates per prompt decoded together ({@link Choices}), then the
   * {@code n} with the highest log-probability per token sent, best first ({@code index} {@code p *
   * n + rank}); {@code usage} counts every candidate's tokens, as OpenAI bills them.
   */
  private void bestOf(
      CompletionRequest request,
      Call call,
      ChunkSink<CompletionChunk> sink,
      Loaded m,
      List<int[]> prompts,
      LocalParams params,
      ChatPrompt.@Nullable Output output,
      int n,
      int longest,
      int promptTokens) {
    int candidates = params.bestOf();
    Candidate[][] results = new Candidate[prompts.size()][candidates];
    Choices.run(
        m,
        memory,
        params,
        call,
        candidates,
        longest,
        "prompt",
        prompts.getFirst(),
        (j, generation) -> {
          for (int p = 0; p < prompts.size(); p++) {
            List<CompletionChunk.Choice> pieces = new ArrayList<>();
            Generation.Emitter emit =
                (s, scored) ->
                    pieces.add(
                        new CompletionChunk.Choice(
                            0,
                            s,
                            null,
                            params.logprobs()
                                ? LogprobsJson.completion(
                                    m.tokenizer(), scored, params.topLogprobs())
                                : null));
            Generation.Result r =
                generation.run(prompts.get(p), emit, output == null ? null : output.grammar());
            results[p][j] = new Candidate(pieces, r.finishReason(), r.tokens(), r.logprob());
          }
        });
    String id = "cmpl-local-" + call.requestId();
    long created = System.currentTimeMillis() / 1000;
    int completionTokens = 0;
    for (int p = 0; p < prompts.size(); p++) {
      List<Candidate> ranked = new ArrayList<>(List.of(results[p]));
      for (Candidate c : ranked) {
        completionTokens += c.tokens();
      }
      // stable: on a tie the earlier candidate first
      ranked.sort(java.util.Comparator.comparingDouble(Candidate::perToken).reversed());
      for (int k = 0; k < n; k++) {
        Candidate c = ranked.get(k);
        int index = p * n + k;
        call.firstChunk();
        for (CompletionChunk.Choice piece : c.pieces()) {
          sink.accept(
              new CompletionChunk(
                  id,
                  created,
                  request.model(),
                  List.of(new CompletionChunk.Choice(index, piece.text(), null, piece.logprobs())),
                  null));
        }
        sink.accept(
            new CompletionChunk(
                id,
                created,
                request.model(),
                List.of(new CompletionChunk.Choice(index, "", c.finish(), null)),
                null));
      }
    }
    sink.accept(
        new CompletionChunk(
            id,
            created,
            request.model(),
            List.of(),
            new Usage(promptTokens, completionTokens, null, null)));
  }

  /**
   * Fill-in-the-middle prompts ({@link Infill}): each prompt is the text before the gap, {@code
   * suffix} the text after it.
   */
  static List<int[]> infillPrompts(Loaded m, JsonNode prompt, JsonNode suffix, LocalParams params) {
    if (!suffix.isTextual()) {
      throw badRequest("Invalid 'suffix': expected a string.", "suffix");
    }
    if (params.echo()) {
      throw badRequest("Invalid 'suffix': it cannot be used with echo.", "suffix");
    }
    Tokenizer tokenizer = m.tokenizer();
    Infill infill = Infill.of(m.file().metadata(), tokenizer);
    if (infill == null) {
      throw badRequest(
          "Invalid 'suffix': "
              + m.path().getFileName()
              + " has no fill-in-the-middle tokens (it is not a code infill model).",
          "suffix");
    }
    int[] after = tokenizer.encode(suffix.asText(), false);
    String forms = "a string, strings, token ids, or lists of token ids";
    List<JsonNode> parts = new ArrayList<>();
    if (prompt.isTextual()
        || (prompt.isArray() && !prompt.isEmpty() && prompt.get(0).isIntegralNumber())) {
      parts.add(prompt);
    } else if (prompt.isArray() && !prompt.isEmpty()) {
      if (prompt.size() > MAX_PROMPTS) {
        throw badRequest(
            "the local provider takes at most " + MAX_PROMPTS + " prompts but got " + prompt.size(),
            "prompt");
      }
      prompt.forEach(parts::add);
    }
    List<int[]> out = new ArrayList<>();
    for (JsonNode p : parts) {
      int[] before;
      if (p.isTextual()) {
        before = tokenizer.encode(p.asText(), false);
      } else if (p.isArray() && !p.isEmpty()) {
        before = tokenIds(tokenizer, p, "prompt");
      } else {
        throw badRequest("the local provider takes a prompt as " + forms, "prompt");
      }
      out.add(infill.prompt(tokenizer, before, after));
    }
    if (out.isEmpty()) {
      throw badRequest("the local provider takes a prompt as " + forms, "prompt");
    }
    return out;
  }

  /**
   * The prompts of a completion request: a string, a list of strings, a list of token ids, or a
   * list of token-id lists (OpenAI's four forms); at most {@link #MAX_PROMPTS}.
   */
  static List<int[]> completionPrompts(Tokenizer tokenizer, JsonNode prompt) {
    if (prompt.isTextual()) {
      return List.of(encode(tokenizer, prompt.asText()));
    }
    String forms = "a string, strings, token ids, or lists of token ids";
    if (!prompt.isArray() || prompt.isEmpty()) {
      throw badRequest("the local provider takes a prompt as " + forms, "prompt");
    }
    if (prompt.get(0).isIntegralNumber()) {
      return List.of(tokenIds(tokenizer, prompt));
    }
    if (prompt.size() > MAX_PROMPTS) {
      throw badRequest(
          "the local provider takes at most " + MAX_PROMPTS + " prompts but got " + prompt.size(),
          "prompt");
    }
    List<int[]> out = new ArrayList<>();
    for (JsonNode p : prompt) {
      if (p.isTextual()) {
        out.add(encode(tokenizer, p.asText()));
      } else if (p.isArray() && !p.isEmpty()) {
        out.add(tokenIds(tokenizer, p));
      } else {
        throw badRequest("the local provider takes a prompt as " + forms, "prompt");
      }
    }
    return out;
  }

  private static int[] tokenIds(Tokenizer tokenizer, JsonNode prompt) {
    return tokenIds(tokenizer, prompt, "prompt");
  }

  private static int[] tokenIds(Tokenizer tokenizer, JsonNode prompt, String param) {
    int[] ids = new int[prompt.size()];
    for (int i = 0; i < ids.length; i++) {
      JsonNode t = prompt.get(i);
      if (!t.isIntegralNumber() || t.asInt() < 0 || t.asInt() >= tokenizer.vocabSize()) {
        throw badRequest(
            "the local provider takes token ids in [0, " + tokenizer.vocabSize() + ") but got " + t,
            param);
      }
      ids[i] = t.asInt();
    }
    return ids;
  }

  private static ProviderException badRequest(String message, @Nullable String param) {
    return LocalParams.bad(param, message);
  }

  /** The most prompts one completion request may hold. */
  static final int MAX_PROMPTS = 64;

  /** Concurrent requests' decode steps run together, at most this many per pass. */
  static final int MAX_BATCH = 16;

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
