/**
 * The compute layer: weight matrices in ggml's tensor types and the kernels that multiply them.
 *
 * <p>{@link dev.shelf.engine.tensor.WeightMatrix} views a tensor's bytes in place (F32, F16, BF16,
 * Q8_0, Q4_0, Q4_1, Q4_K, Q5_K, Q6_K; one class per type) and offers {@code dequantizeRow} (ggml's
 * {@code dequantize_row_*}, the reference), {@code matvec} and the batched {@code matmul}. {@link
 * dev.shelf.engine.tensor.Parallel} splits rows across cores.
 *
 * <h2>Why the kernels look like this</h2>
 *
 * Decoding a token reads every weight once, so the kernels never materialise a dequantised row:
 * each block is decoded in registers, a sub-block (16 or 32 elements) at a time, and multiplied
 * into the running dot product straight away. Every quantised type reduces to one shape, {@code
 * scale_g * sum(q_i x_i) + min_g * sum(x_i)} per group {@code g}, with the integer quants widened
 * exactly to floats; the per-group sums of {@code x} for the min terms (Q4_1, Q4_K, Q5_K) are
 * computed once per call, as llama.cpp's {@code bsums}. The activations are not quantised (unlike
 * llama.cpp's {@code vec_dot_*_q8_*}): the results are a little more exact than llama.cpp's and the
 * Vector API has no int8 dot-product instruction to gain from it.
 *
 * <h2>The twins</h2>
 *
 * Every kernel exists twice: a scalar loop and a Vector API loop, chosen per matrix by {@link
 * dev.shelf.engine.tensor.Simd} (system property {@code shelf.simd=false} turns SIMD off by
 * default). The vector width (128, 256 or 512 bits) is fixed once per JVM, because the JIT emits
 * vector instructions only for a species it sees as a constant; the build runs the kernel tests
 * once per width in separate forks. Both twins add in the same order up to the lane split, so they
 * agree to rounding; the differential tests run every type against the scalar twin and against
 * {@code dequantizeRow} followed by a plain dot product, and check that the vector decoding
 * reproduces {@code dequantizeRow} bit for bit. The batched {@code matmul} adds in exactly the
 * order of {@code matvec}, so batching sequences together never changes their results.
 *
 * <h2>Threads</h2>
 *
 * Views are immutable; kernels allocate their few scratch arrays per call, so any number of threads
 * may multiply with one matrix at once. The JVM needs {@code --add-modules jdk.incubator.vector}.
 */
@NullMarked
package dev.shelf.engine.tensor;

import org.jspecify.annotations.NullMarked;
