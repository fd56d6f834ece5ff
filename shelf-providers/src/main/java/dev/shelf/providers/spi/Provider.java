package dev.shelf.providers.spi;

import dev.shelf.api.ChatChunk;
import dev.shelf.api.ChatRequest;
import dev.shelf.api.CompletionChunk;
import dev.shelf.api.CompletionRequest;
import dev.shelf.api.EmbeddingRequest;
import dev.shelf.api.EmbeddingResponse;
import java.util.List;

/**
 * One configured upstream (a vendor account, a self-hosted server, the local engine). Requests
 * arrive with {@code model} already set to the upstream's model id. Calls block the calling
 * (virtual) thread; chunks are pushed to the sink as they arrive, never buffered. Failures are
 * {@link ProviderException}s.
 */
public interface Provider extends AutoCloseable {
  String name();

  void chat(ChatRequest request, Call call, ChunkSink<ChatChunk> sink);

  void completion(CompletionRequest request, Call call, ChunkSink<CompletionChunk> sink);

  EmbeddingResponse embed(EmbeddingRequest request, Call call);

  /**
   * Gets {@code model} (an upstream id) ready so that its first request runs at full speed, and
   * returns when it is: the local engine loads the file and warms it up; remote vendors have
   * nothing to do. Requests for the model may arrive meanwhile; they wait or go ahead as the
   * provider decides.
   *
   * @throws ProviderException when the model cannot be made ready (a missing or unsupported file)
   */
  default void preload(String model) {}

  /**
   * The configuration no longer preloads {@code model} (a reload dropped it or its {@code preload}
   * mark): the provider need not keep it ready any more. A local model stays loaded, but a later
   * preload may now unload it to make room, as a request may.
   */
  default void unpreload(String model) {}

  /** The models this provider holds in memory now; none for remote vendors. */
  default List<ResidentModel> resident() {
    return List.of();
  }

  @Override
  default void close() {}
}
