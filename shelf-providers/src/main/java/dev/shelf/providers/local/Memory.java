package dev.shelf.providers.local;

import dev.shelf.engine.runtime.KvBudget;
import dev.shelf.providers.spi.ProviderException;
import dev.shelf.providers.spi.ProviderException.Kind;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;

/**
 * What a {@code local} provider may take of memory, so that a model or a request that does not fit
 * is refused with an error that says so, not with an {@link OutOfMemoryError}:
 *
 * <ul>
 *   <li><b>Models</b>: the weights are memory-mapped, so a file larger than the memory beside the
 *       JVM's heap would page from disk for every token; it is refused at load ({@code
 *       BAD_REQUEST}, naming both sizes).
 *   <li><b>KV caches</b>: each request's sequence allocates its cache at once ({@code 2 x blocks x
 *       positions x kv width} floats, positions = prompt + max tokens) from a budget: one shared by
 *       every local provider of the process ({@link #PROCESS_KV}, half the JVM's heap), or a
 *       provider's own when it sets {@code options.kv_cache}. A request that needs more than the
 *       whole budget is {@code CONTEXT_LENGTH} (400 {@code context_length_exceeded}, param {@code
 *       max_tokens}: the gateway may fall back to another deployment); one that does not fit beside
 *       the requests running now waits its turn up to {@code options.kv_wait} (default 30 s), then
 *       is {@code RATE_LIMITED} (429, retried elsewhere by the gateway).
 * </ul>
 *
 * <p>Finished requests' sequences parked for prefix reuse ({@link PrefixCache}, {@code
 * options.prefix_cache} per model, default 4) keep their reservations until a request needs the
 * memory: the budget reclaims them, least recently parked first and whichever model parked them,
 * before a request waits.
 *
 * <p><b>Scales decoded at load</b> (a float per Q4_0 or Q8_0 block, four per 64 K-quant weights:
 * {@link dev.shelf.engine.tensor.WeightMatrix#decodedBytes}) are Java arrays, so they take the
 * heap, beside the KV caches: a model whose scales do not fit in what the heap leaves beside every
 * KV budget of the process ({@link #processScalesHeap}: the shared one and those of the open
 * providers with an {@code options.kv_cache} of their own) is refused at load ({@code BAD_REQUEST},
 * {@code model_too_large}, saying how to raise the heap), never an {@link OutOfMemoryError} in the
 * middle of a load.
 *
 * <p><b>Several models</b> share the machine's memory and that heap too: one that would not fit
 * beside those loaded unloads the idle ones first ({@link Resident}).
 *
 * @param physical the memory the mapped model files may take, in bytes ({@link #forModels}: the
 *     machine's less the JVM's heap), or 0 when unknown (no model is refused then)
 * @param scalesHeapNow the heap the models' decoded scales may take now, in bytes ({@link
 *     #processScalesHeap} in a server), or 0 when unknown (not checked); asked at each check, since
 *     the KV budgets it leaves room for come and go with the providers that own them
 * @param prefixCache sequences kept per model for prefix reuse (0: none)
 * @param resident the loaded models whose memory counts against {@code physical}
 * @param keepAlive how long a model that serves no request stays loaded; null: until another model
 *     needs its memory
 */
record Memory(
    KvBudget kv,
    Duration kvWait,
    long physical,
    LongSupplier scalesHeapNow,
    int prefixCache,
    Resident resident,
    @Nullable Duration keepAlive) {
  /**
   * With a {@link Resident} of its own (tests: models loaded elsewhere do not count), models kept
   * loaded, the heap for scales not checked.
   */
  Memory(KvBudget kv, Duration kvWait, long physical, int prefixCache) {
    this(kv, kvWait, physical, () -> 0, prefixCache, new Resident(), null);
  }

  /** The heap the models' decoded scales may take now, in bytes; 0: not checked. */
  long scalesHeap() {
    return scalesHeapNow.getAsLong();
  }

  /** {@link #keepAlive} for {@link Resident}: nanoseconds, {@link Resident#FOREVER} for none. */
  long keepAliveNanos() {
    return keepAlive == null ? Resident.FOREVER : keepAlive.toNanos();
  }

  Memory withKeepAlive(@Nullable Duration newKeepAlive) {
    return new Memory(kv, kvWait, physical, scalesHeapNow, prefixCache, resident, newKeepAlive);
  }

  /**
   * The KV cache budget of the local providers that set no {@code options.kv_cache}: half the JVM's
   * heap, one for the whole process, like the memory for models ({@link Resident#PROCESS}). One per
   * provider would let two providers (the models folder's and one in {@code shelf.yaml}, or a
   * provider and the one a reload made to replace it while the old one finishes its requests) each
   * promise half the heap, the whole heap together, and the scales of the loaded models are counted
   * against what the heap leaves beside it ({@link #scalesHeap}).
   */
  static final KvBudget PROCESS_KV =
      new KvBudget(Math.max(1, Runtime.getRuntime().maxMemory() / 2));

  /**
   * The KV budgets of the open local providers that set {@code options.kv_cache}: each may fill the
   * heap beside {@link #PROCESS_KV}, so the heap left for scales is counted without all of them
   * ({@link #processScalesHeap}). A provider adds its budget when it is made ({@link #ownKv}) and
   * removes it when it closes ({@link #release}).
   */
  private static final Set<KvBudget> OWN_KV = ConcurrentHashMap.newKeySet();

  /**
   * A KV budget of {@code bytes} for one provider, counted against the heap until {@link #release}.
   */
  static KvBudget ownKv(long bytes) {
    KvBudget own = new KvBudget(bytes);
    OWN_KV.add(own);
    return own;
  }

  /** Stops counting {@code kv} against the heap, if it is a provider's own ({@link #ownKv}). */
  static void release(KvBudget kv) {
    OWN_KV.remove(kv);
  }

  /** The KV budgets this process has promised the heap: the shared one and every provider's own. */
  static long promisedKv() {
    long sum = PROCESS_KV.capacity();
    for (KvBudget own : OWN_KV) {
      sum += own.capacity();
    }
    return sum;
  }

  /**
   * The heap the loaded models' scales may take now in this JVM: what it leaves beside every KV
   * budget the process has promised ({@link #scalesHeap(long, long)} of {@link #promisedKv}).
   */
  static long processScalesHeap() {
    return scalesHeap(Runtime.getRuntime().maxMemory(), promisedKv());
  }

  /**
   * The process's KV cache budget ({@link #PROCESS_KV}), 30 s of waiting, the machine's memory as
   * the OS reports it less the heap ({@link #forModels}), the heap for scales the process's KV
   * budgets leave ({@link #processScalesHeap}), shared by the process's local models ({@link
   * Resident#PROCESS}).
   */
  static Memory defaults() {
    return new Memory(
        PROCESS_KV,
        Duration.ofSeconds(30),
        forModels(physicalMemory(), Runtime.getRuntime().maxMemory()),
        Memory::processScalesHeap,
        4,
        Resident.PROCESS,
        null);
  }

  /** Heap kept beside the KV caches and the scales: requests' buffers, the server's own. */
  static final long HEAP_HEADROOM = 512L << 20;

  /**
   * The heap that the decoded scales of the loaded models may take in a JVM whose heap may grow to
   * {@code maxHeap}, beside a KV cache budget of {@code kvBudget}: the rest, less {@link
   * #HEAP_HEADROOM} (or a quarter of the heap, if less); at least 1 byte, so that a heap taken
   * whole by the KV budget refuses every model with scales and says why. 0 (unchecked) for a heap
   * without a bound.
   */
  static long scalesHeap(long maxHeap, long kvBudget) {
    if (maxHeap == Long.MAX_VALUE) {
      return 0;
    }
    return Math.max(1, maxHeap - kvBudget - Math.min(HEAP_HEADROOM, maxHeap / 4));
  }

  /**
   * What the mapped models may take of a machine of {@code total} bytes (0: unknown, and so is the
   * result) beside a JVM whose heap may grow to {@code maxHeap}: the heap holds the KV caches and
   * every request's buffers, so a model counted against the whole machine could still page its
   * weights from disk once the heap has grown. A heap without a bound, or one as large as the
   * machine, is counted as half of it.
   */
  static long forModels(long total, long maxHeap) {
    if (total <= 0) {
      return 0;
    }
    return total - Math.min(maxHeap, total / 2);
  }

  static long physicalMemory() {
    try {
      if (java.lang.management.ManagementFactory.getOperatingSystemMXBean()
          instanceof com.sun.management.OperatingSystemMXBean os) {
        return os.getTotalMemorySize();
      }
    } catch (RuntimeException | LinkageError e) {
      // no management bean here: sizes are not checked
    }
    return 0;
  }

  /**
   * Refuses a model whose file is larger than the memory for models, or whose scales decoded at
   * load ({@code decodedBytes}, see {@link dev.shelf.engine.tensor.WeightMatrix#decodedBytes}) are
   * larger than the heap left for them.
   */
  void checkModel(Path path, long fileBytes, long decodedBytes) {
    long scalesHeap = scalesHeap();
    if (physical > 0 && fileBytes > physical) {
      throw tooLarge(
          "model file "
              + path
              + " is "
              + KvBudget.mib(fileBytes)
              + " but this machine has "
              + KvBudget.mib(physical)
              + " of memory for models (beside the JVM's heap): its weights would be read from"
              + " disk for every token");
    }
    if (scalesHeap > 0 && decodedBytes > scalesHeap) {
      throw tooLarge(
          "model file "
              + path
              + " decodes "
              + KvBudget.mib(decodedBytes)
              + " of scales at load, which its kernels keep in the JVM's heap, but the heap (at"
              + " most "
              + KvBudget.mib(Runtime.getRuntime().maxMemory())
              + ") leaves "
              + KvBudget.mib(scalesHeap)
              + " for them beside the local providers' KV cache budgets ("
              + KvBudget.mib(promisedKv())
              + " in all): raise the heap (SHELF_HEAP, or -Xmx) or lower the provider's options.kv_cache");
    }
  }

  private static ProviderException tooLarge(String message) {
    return new ProviderException(Kind.BAD_REQUEST, message, "model_too_large", null, 0, null, null);
  }

  /**
   * Reserves the KV cache of a sequence of {@code positions} of {@code m}; when it does not fit
   * now, sequences parked for prefix reuse (by any model sharing the budget) are reclaimed before
   * it waits ({@link KvBudget.Reservation#park}).
   */
  KvBudget.Reservation reserve(LocalProvider.Loaded m, int positions) {
    return reserve(m, positions, 1);
  }

  /**
   * Reserves {@code copies} sequences of {@code positions} at once, all or nothing (the {@code n}
   * choices of a request: reserved one by one, a request could hold some while it waits for the
   * rest, and two such requests could wait on each other); {@link KvBudget.Reservation#split} hands
   * each its part.
   */
  KvBudget.Reservation reserve(LocalProvider.Loaded m, int positions, int copies) {
    long bytes = m.model().kvBytes(positions) * copies;
    try {
      return kv.reserve(bytes, kvWait.toNanos());
    } catch (KvBudget.TooLarge e) {
      throw new ProviderException(
          Kind.CONTEXT_LENGTH,
          "the prompt and max_tokens take "
              + positions
              + " positions"
              + (copies > 1 ? " for each of " + copies + " choices" : "")
              + " of "
              + m.path().getFileName()
              + ", "
              + KvBudget.mib(bytes)
              + " of KV cache, more than this provider's budget of "
              + KvBudget.mib(kv.capacity())
              + " (lower max_tokens, or raise the provider's options.kv_cache and the heap,"
              + " SHELF_HEAP)",
          "context_length_exceeded",
          "max_tokens",
          0,
          null,
          e);
    } catch (KvBudget.Busy e) {
      throw new ProviderException(
          Kind.RATE_LIMITED,
          "the local models' memory is taken by other requests: this one "
              + e.getMessage()
              + "; waited "
              + kvWait.toMillis()
              + " ms",
          "kv_cache_busy",
          null,
          0,
          1000L,
          e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ProviderException(Kind.CANCELLED, "cancelled waiting for KV cache memory", e);
    }
  }
}
