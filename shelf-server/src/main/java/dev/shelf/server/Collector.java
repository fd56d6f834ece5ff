package dev.shelf.server;

import dev.shelf.gateway.Exchange;
import dev.shelf.gateway.StreamListener;
import dev.shelf.gateway.routing.Deployment;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Collects a stream for a non-streaming client. Never committed, so the gateway may retry even
 * after a stream broke late; each retry starts from a fresh aggregate.
 */
final class Collector<C, A extends Consumer<C>> implements StreamListener<C> {
  private final Supplier<A> fresh;
  private A aggregate;
  private @Nullable Deployment deployment;

  Collector(Supplier<A> fresh) {
    this.fresh = fresh;
    this.aggregate = fresh.get();
  }

  @Override
  public void begin(Exchange ex, Deployment d) {
    deployment = d;
  }

  @Override
  public void chunk(C chunk) {
    aggregate.accept(chunk);
  }

  @Override
  public boolean committed() {
    return false;
  }

  @Override
  public void reset() {
    aggregate = fresh.get();
    deployment = null;
  }

  A aggregate() {
    return aggregate;
  }

  @Nullable Deployment deployment() {
    return deployment;
  }
}
