package dev.shelf.providers.spi;

import java.time.Duration;

/**
 * A model a provider holds in this process's memory ({@link Provider#resident}): the local engine's
 * loaded GGUF files.
 *
 * @param model the upstream id it was loaded by (a local file's path, relative to the provider's
 *     folder when it lies there)
 * @param bytes the memory it takes: the mapped file, and the scales its kernels decode at load (on
 *     the heap)
 * @param requests requests using it now
 * @param idle how long since its last request ended (zero while one runs)
 */
public record ResidentModel(String model, long bytes, int requests, Duration idle) {}
