package dev.shelf.gateway;

import dev.shelf.gateway.routing.Deployment;

/**
 * Where the gateway delivers an answer. A streaming listener sends headers on {@link #begin} and
 * each chunk as it comes, and is then {@link #committed()}: from that point no retry is possible.
 * An aggregating (non-streaming) listener is never committed and is {@link #reset()} before a
 * retry, so a failure even late in an upstream stream can still be retried invisibly.
 */
public interface StreamListener<C> {
  /** Called once, before the first chunk of the attempt that will be delivered. */
  void begin(Exchange exchange, Deployment deployment);

  /** May throw {@link dev.shelf.providers.spi.ClientGoneException}. */
  void chunk(C chunk);

  boolean committed();

  /** Forgets a failed attempt's partial output. */
  void reset();
}
