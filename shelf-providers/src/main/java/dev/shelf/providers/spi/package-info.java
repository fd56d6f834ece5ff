/**
 * The provider SPI: what every vendor adapter and the local engine implement. Streaming first:
 * providers push chunks into a {@link dev.shelf.providers.spi.ChunkSink}; the non-streaming answer
 * is the same stream aggregated by the caller. Adapters are found with {@link
 * java.util.ServiceLoader} through {@link dev.shelf.providers.spi.ProviderFactory}.
 */
@NullMarked
package dev.shelf.providers.spi;

import org.jspecify.annotations.NullMarked;
