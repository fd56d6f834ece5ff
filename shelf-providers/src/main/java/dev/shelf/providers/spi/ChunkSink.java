package dev.shelf.providers.spi;

/**
 * Receives a provider's chunks, in order, on the provider's calling thread. An implementation
 * throws {@link ClientGoneException} when the client has gone; the provider then stops and closes
 * its upstream call.
 */
@FunctionalInterface
public interface ChunkSink<T> {
  void accept(T chunk);
}
