/**
 * Metrics over scored responses: accuracy with Wilson intervals, per-subject breakdowns, refusal
 * rates, latency summaries, tokens and cost.
 */
@NullMarked
package dev.shelf.eval.metrics;

import org.jspecify.annotations.NullMarked;
