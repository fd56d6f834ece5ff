/**
 * Model architectures: the forward pass over a GGUF file's weights.
 *
 * <p>{@link dev.shelf.engine.model.LlamaConfig} reads an architecture's hyper-parameters from the
 * file's metadata; {@link dev.shelf.engine.model.LlamaModel} views the weights in place as {@link
 * dev.shelf.engine.tensor.WeightMatrix} instances and runs the graph of the llama family, with what
 * the file's {@link dev.shelf.engine.model.Architecture} ({@code llama}, {@code qwen2}, {@code
 * qwen3}, listed in {@link dev.shelf.engine.model.Architectures}) adds to it; {@link
 * dev.shelf.engine.model.LlamaSequence} is one sequence's state (its KV cache and scratch) and
 * offers {@code forward(token, position)} and greedy generation.
 *
 * <p>The arithmetic follows llama.cpp's CPU backend operation by operation (RMSNorm summed in
 * double, RoPE angles built by repeated multiplication in float, softmax sums in double) so that
 * greedy continuations and perplexity match llama.cpp's; where the summation order of a dot product
 * differs (the kernels split sums across vector lanes differently from ggml) results agree to
 * rounding, not bit for bit.
 */
@NullMarked
package dev.shelf.engine.model;

import org.jspecify.annotations.NullMarked;
