/**
 * Choosing the next token from a model's logits, and the log-probabilities reported beside it.
 *
 * <p>{@link dev.shelf.engine.sampling.SamplingParams} holds a request's settings (validated, the
 * bad value in the message); {@link dev.shelf.engine.sampling.Sampler} runs llama.cpp's default
 * chain over one sequence's logits (penalties, top-k, top-p, min-p, temperature, then a seeded
 * draw); {@link dev.shelf.engine.sampling.Logprobs} is the log-softmax of the raw logits (what
 * OpenAI reports as {@code logprobs}), with the most likely alternatives.
 */
@NullMarked
package dev.shelf.engine.sampling;

import org.jspecify.annotations.NullMarked;
