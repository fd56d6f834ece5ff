/**
 * The compute layer: weight matrices in ggml's tensor types and the kernels that multiply them.
 *
 * <p>{@link dev.shelf.engine.tensor.WeightMatrix} views a tensor's bytes in place (F32, F16, BF16,
 * Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K; one class per type) and offers {@code
 * dequantizeRow} (ggml's {@code dequantize_row_*}, the reference), {@code matvec} and the batched
 * {@code matmul}. {@link dev.shelf.engine.tensor.Parallel} splits rows across cores.
 *
 * <h2>Why the kernels look like this</h2>
 *
 * Decoding a token reads every weight once, so {@code matvec} never materialises a dequantised row:
 * each vector of weights is decoded in registers and multiplied into the running dot product
 * straight away, one row at a time in one stream of weights, the even- and odd-numbered vectors
 * into two accumulators (two chains of additions for the CPU to overlap). Prefill and batched
 * decode use {@code matmul}, which is arithmetic-bound instead: it decodes a tile of four rows by
 * 512 elements into an L1-resident float array once and runs every input over it with a 4 x 4
 * register-blocked kernel (sixteen accumulators, eight loads per sixteen multiply-adds), once per
 * parity.
 *
 * <h2>One arithmetic</h2>
 *
 * Every type is computed the same way: each weight is decoded to exactly the float ggml's {@code
 * dequantize_row_*} gives (the integer quants and sub-scales are exact in float, so the vector
 * decoding, which may fuse a multiply and an add, reproduces it bit for bit), then {@code acc += w
 * * x} as a fused multiply-add per lane, in element order, into the accumulator of the vector's
 * parity, the two accumulators added and their lanes summed in a fixed tree order at the end. The
 * activations are not quantised (unlike llama.cpp's {@code vec_dot_*_q8_*}): results are a little
 * more exact than llama.cpp's, and the Vector API has no int8 dot-product instruction to gain from
 * it. Since {@code matvec} and {@code matmul} add in this one order, a batched result equals the
 * unbatched one bit for bit: batching sequences together never changes their logits.
 *
 * <h2>The twins</h2>
 *
 * Every kernel exists twice: a scalar loop ({@code dequantizeRow}, the reference, then a plain dot
 * product) and a Vector API loop, chosen per matrix by {@link dev.shelf.engine.tensor.Simd} (system
 * property {@code shelf.simd=false} turns SIMD off by default). The vector width (128, 256 or 512
 * bits) is fixed once per JVM, because the JIT emits vector instructions only for a species it sees
 * as a constant; the build runs the kernel tests once per width in separate forks. The differential
 * tests run every type against the scalar twin and against {@code dequantizeRow} followed by a dot
 * product in double, check that the vector decoding reproduces {@code dequantizeRow} bit for bit,
 * and that {@code matmul} equals {@code matvec} bit for bit.
 *
 * <h2>Threads</h2>
 *
 * Views are immutable; kernels allocate their few scratch arrays per call, so any number of threads
 * may multiply with one matrix at once. The JVM needs {@code --add-modules jdk.incubator.vector}.
 */
@NullMarked
package dev.shelf.engine.tensor;

import org.jspecify.annotations.NullMarked;
