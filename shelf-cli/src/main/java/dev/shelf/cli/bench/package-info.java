/**
 * {@code shelf bench ...}: benchmarks that run their own baseline in the same process and report
 * ratios. {@link dev.shelf.cli.bench.GatewayBench} compares a client talking straight to an
 * OpenAI-compatible stub with the same client talking to it through Shelf.
 */
@NullMarked
package dev.shelf.cli.bench;

import org.jspecify.annotations.NullMarked;
