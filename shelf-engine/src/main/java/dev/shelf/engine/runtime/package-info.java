/**
 * Serving: {@link dev.shelf.engine.runtime.DecodeBatcher} runs the decode steps of concurrent
 * sequences together, one pass over the weights per step (continuous batching).
 */
@NullMarked
package dev.shelf.engine.runtime;

import org.jspecify.annotations.NullMarked;
