/**
 * The speed test: a concurrency sweep per model, as the public speed leaderboards run it. {@link
 * dev.shelf.eval.speed.SpeedSweep} sends the same prompt at 1, 2, 4, ... requests in flight and
 * reports time to first token, per-request and aggregate output tokens per second, and errors.
 */
@NullMarked
package dev.shelf.eval.speed;

import org.jspecify.annotations.NullMarked;
