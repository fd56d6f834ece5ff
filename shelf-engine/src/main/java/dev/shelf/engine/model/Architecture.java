package dev.shelf.engine.model;

/**
 * What sets one decoder architecture of the llama family apart from the others: the prefix of its
 * metadata keys, the RoPE layout, and which optional tensors its blocks carry. {@link LlamaModel}
 * loads and runs every architecture {@link Architectures#known()} lists, picked by the file's
 * {@code general.architecture}.
 *
 * <h2>Adding an architecture</h2>
 *
 * One class implementing this interface (a few lines: the name and what differs from {@code llama})
 * plus one entry in {@link Architectures#known()}; {@link SyntheticModel} then writes files of it
 * too, and the reference test ({@code ArchitectureReferenceTest}) checks its forward pass once it
 * gets a case. A feature that no flag here describes (another norm, another activation) needs a
 * flag here and its few lines in {@link LlamaBatch}, guarded by it, so the other architectures keep
 * their arithmetic exactly.
 *
 * <p>The descriptions follow llama.cpp ({@code llama_model_rope_type}, {@code llm_build_*}): a file
 * that llama.cpp runs as architecture X is run here the way llama.cpp runs X.
 */
public interface Architecture {
  /**
   * How RoPE pairs the dimensions of a head (llama.cpp's {@code llama_model_rope_type}). Both
   * rotate pair {@code i} by {@code position * base^(-2i / ropeDims)}; they differ in which two
   * dimensions make pair {@code i}.
   */
  enum Rope {
    /**
     * ggml's "normal" RoPE ({@code LLAMA_ROPE_TYPE_NORM}): consecutive dimensions {@code (x[2i],
     * x[2i+1])}. The converters permute {@code attn_q} and {@code attn_k} of Hugging Face llama
     * checkpoints into this order.
     */
    NORMAL,
    /**
     * GPT-NeoX's RoPE ({@code LLAMA_ROPE_TYPE_NEOX}): dimension {@code i} with {@code i + ropeDims
     * / 2}, the layout of Hugging Face's {@code rotate_half}, which the converters keep as is.
     */
    NEOX
  }

  /** The value of {@code general.architecture}, which is also the prefix of the model's keys. */
  String name();

  /** The RoPE layout. */
  Rope rope();

  /**
   * Whether each block has the biases {@code attn_q.bias}, {@code attn_k.bias} and {@code
   * attn_v.bias}, added to the query, key and value projections (required when true).
   */
  default boolean attentionBias() {
    return false;
  }

  /**
   * Whether each block has {@code attn_q_norm.weight} and {@code attn_k_norm.weight} (one head's
   * width each): an RMSNorm of every query and key head, with the model's epsilon, after the
   * projections and before RoPE (required when true).
   */
  default boolean qkNorm() {
    return false;
  }

  /**
   * Whether a file without {@code output.weight} ties the output to {@code token_embd.weight}
   * (llama.cpp does for llama, qwen2 and qwen3); when false the output matrix is required.
   */
  default boolean outputMayBeTied() {
    return true;
  }

  /** The prefix of the model's metadata keys: {@code name() + "."}. */
  default String keyPrefix() {
    return name() + ".";
  }
}
