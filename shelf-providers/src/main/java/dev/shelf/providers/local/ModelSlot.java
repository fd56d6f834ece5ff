package dev.shelf.providers.local;

import dev.shelf.engine.gguf.GgufFile;
import dev.shelf.engine.model.LlamaModel;
import dev.shelf.engine.runtime.DecodeBatcher;
import dev.shelf.engine.template.ChatTemplate;
import dev.shelf.engine.template.TemplateInput;
import dev.shelf.engine.tensor.Parallel;
import dev.shelf.engine.tensor.Simd;
import dev.shelf.engine.tokenizer.Tokenizer;
import dev.shelf.providers.local.LocalProvider.Loaded;
import dev.shelf.providers.spi.ProviderException;
import dev.shelf.providers.spi.ProviderException.Kind;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * One GGUF file of a local provider: its load, shared by its requests; a failed load is not kept,
 * so the next request retries. Each request holds a use ({@link #acquire}, {@link #release}) while
 * it runs, so that the model is unloaded to make room for another ({@link Resident}) only while no
 * request uses it; the next request loads it again.
 */
final class ModelSlot {
  private static final System.Logger LOG = System.getLogger("shelf.local");

  private final Path path;
  private final Memory memory;
  private final Parallel parallel;
  private volatile @Nullable Loaded loaded;
  private boolean warm;

  /**
   * The preloads that hold this file ({@link #warm} adds one, {@link #unpreload} takes one away):
   * two model entries may name the same file by different upstream ids ({@code a.gguf}, {@code
   * ./a.gguf}), and dropping one must not drop the other's preload.
   */
  private int preloads;

  ModelSlot(Path path, Memory memory, Parallel parallel) {
    this.path = path;
    this.memory = memory;
    this.parallel = parallel;
  }

  /** The loaded file, loaded now when it is not, with a use held until {@link #release}. */
  synchronized Loaded acquire() {
    return acquire(false);
  }

  /** As {@link #acquire()}; a load for a preload never unloads another preloaded model. */
  private Loaded acquire(boolean preload) {
    Loaded l = loaded;
    if (l != null && memory.resident().use(l.place())) {
      return l;
    }
    warm = false; // never loaded, or unloaded to make room for another model
    l = load(preload);
    loaded = l;
    return l;
  }

  void release(Loaded l) {
    memory.resident().release(l.place());
  }

  /** Called by {@link Resident} (outside this slot's lock) once nothing uses {@code l}. */
  @SuppressWarnings("ReferenceEquality") // this very load, not an equal one
  private void unload(Loaded l, String why) {
    LOG.log(
        System.Logger.Level.INFO,
        path.getFileName() + " unloaded " + why + "; it loads again on its next request");
    close(l);
    synchronized (this) {
      if (loaded == l) {
        loaded = null;
      }
    }
  }

  /**
   * Loads the file if it is not loaded, and warms it up once (a preload: the model then makes room
   * for no other preload, see {@link Resident#reserve}): {@link LlamaModel#warmUp}, then a short
   * chat through its template and tokenizer. Requests for the file wait meanwhile (they would have
   * run at the cold speed anyway).
   */
  synchronized void warm() {
    Loaded l = acquire(true);
    preloads++;
    memory.resident().preloaded(l.place(), true);
    try {
      if (!warm) {
        long start = System.nanoTime();
        l.model().warmUp();
        try {
          LocalProvider.encode(
              l.tokenizer(),
              l.template()
                  .render(TemplateInput.of(List.of(Map.of("role", "user", "content", "Hi")))));
        } catch (RuntimeException e) {
          // a template that refuses a lone user message fails that request, not the preload
          LOG.log(System.Logger.Level.DEBUG, "warm-up chat of " + path + ": " + e.getMessage());
        }
        warm = true;
        LOG.log(
            System.Logger.Level.INFO,
            String.format(
                Locale.ROOT,
                "%s warmed up in %.1f s",
                path.getFileName(),
                (System.nanoTime() - start) / 1e9));
      }
    } finally {
      release(l);
    }
  }

  /**
   * One preload fewer; once none holds the file, a later preload may unload it to make room. Its
   * next {@link #warm} marks it again.
   */
  synchronized void unpreload() {
    preloads = Math.max(0, preloads - 1);
    Loaded l = loaded;
    if (l != null && preloads == 0) {
      memory.resident().preloaded(l.place(), false);
    }
  }

  /** The loaded file, or null while it is not (never waits for a load). */
  @Nullable Loaded peek() {
    return loaded;
  }

  synchronized void close() {
    Loaded l = loaded;
    warm = false;
    if (l != null) {
      if (memory.resident().remove(l.place())) {
        close(l); // else it is being unloaded, which closes it: a file is closed once
      }
      loaded = null;
    }
  }

  private static void close(Loaded l) {
    l.batcher().close();
    l.prefixes().clear();
    l.file().close();
  }

  /**
   * Opens, checks and loads the file, making room for it among the loaded models ({@link
   * Resident}); the caller holds the first use.
   */
  private Loaded load(boolean preload) {
    if (!Files.isRegularFile(path)) {
      throw new ProviderException(Kind.NOT_FOUND, "local model file not found: " + path);
    }
    // what a load that runs out of heap says, written before it takes any: with the heap full,
    // building the message could run out too
    String heapRanOut =
        "the JVM's heap ran out while loading model file " + path + ": raise the heap" + RAISE;
    GgufFile file;
    try {
      file = GgufFile.open(path);
    } catch (IOException e) {
      throw new ProviderException(
          Kind.NOT_FOUND, "local model file cannot be read: " + path + " (" + e + ")", e);
    } catch (RuntimeException e) {
      throw unsupported(e);
    } catch (OutOfMemoryError e) {
      // the metadata (a vocabulary of 128 K strings, say) did not fit: open closed the file
      throw heapRanOut(heapRanOut, e);
    }
    Resident.Place place;
    long decoded;
    try {
      decoded = LlamaModel.decodedBytes(file);
      memory.checkModel(path, file.size(), decoded);
      place = memory.resident().reserve(path, file.size(), decoded, memory, preload);
      heapRanOut =
          "the JVM's heap ran out while loading model file "
              + path
              + ", whose kernels decode "
              + dev.shelf.engine.runtime.KvBudget.mib(decoded)
              + " of scales into it: raise the heap"
              + RAISE;
    } catch (RuntimeException e) {
      file.close();
      throw e;
    }
    try {
      LlamaModel model = LlamaModel.load(file, Simd.defaults(), parallel);
      Tokenizer tokenizer = Tokenizer.fromGguf(file);
      ChatTemplate template = ChatTemplate.fromGguf(file);
      Loaded l =
          new Loaded(
              path,
              file,
              model,
              tokenizer,
              template,
              new DecodeBatcher(model, LocalProvider.MAX_BATCH),
              new PrefixCache(memory.prefixCache()),
              place);
      memory.resident().loaded(place, why -> unload(l, why));
      return l;
    } catch (RuntimeException e) {
      memory.resident().remove(place);
      file.close();
      throw unsupported(e);
    } catch (OutOfMemoryError e) {
      // The scales fit the heap's share for them (checked above), but the heap was fuller than
      // counted (requests' buffers beyond the headroom kept for them): what the load allocated is
      // garbage now.
      memory.resident().remove(place);
      file.close();
      throw heapRanOut(heapRanOut, e);
    }
  }

  private static final String RAISE = " (SHELF_HEAP, or -Xmx)";

  /**
   * A load that ran out of heap: a 400 {@code model_memory_heap} saying to raise it. Not retryable:
   * trying again at once would only allocate the same again.
   */
  private static ProviderException heapRanOut(String message, OutOfMemoryError e) {
    return new ProviderException(Kind.BAD_REQUEST, message, "model_memory_heap", null, 0, null, e);
  }

  /** A file the engine cannot serve: a 400 naming the path and what is wrong. */
  private ProviderException unsupported(RuntimeException e) {
    return new ProviderException(
        Kind.BAD_REQUEST,
        "unsupported model file " + path + ": " + e.getMessage(),
        "unsupported_model",
        null,
        0,
        null,
        e);
  }
}
