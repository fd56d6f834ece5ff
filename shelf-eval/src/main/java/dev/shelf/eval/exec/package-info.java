/**
 * Runs for real: an answerer over any OpenAI-compatible endpoint (a running Shelf's {@code /v1}, so
 * keys, limits and metering apply), the run specification, the executor with bounded parallelism
 * per model, and the store that makes a run survive a restart.
 */
@NullMarked
package dev.shelf.eval.exec;

import org.jspecify.annotations.NullMarked;
