package dev.shelf.gateway.routing;

import dev.shelf.api.ChatChunk;
import dev.shelf.api.ChatRequest;
import dev.shelf.api.CompletionChunk;
import dev.shelf.api.CompletionRequest;
import dev.shelf.api.EmbeddingRequest;
import dev.shelf.api.EmbeddingResponse;
import dev.shelf.providers.spi.Call;
import dev.shelf.providers.spi.ChunkSink;
import dev.shelf.providers.spi.Provider;

/** A provider that is never called: routing tests only need its name. */
record FakeProvider(String name) implements Provider {
  @Override
  public void chat(ChatRequest request, Call call, ChunkSink<ChatChunk> sink) {
    throw new UnsupportedOperationException("fake provider " + name);
  }

  @Override
  public void completion(CompletionRequest request, Call call, ChunkSink<CompletionChunk> sink) {
    throw new UnsupportedOperationException("fake provider " + name);
  }

  @Override
  public EmbeddingResponse embed(EmbeddingRequest request, Call call) {
    throw new UnsupportedOperationException("fake provider " + name);
  }
}
