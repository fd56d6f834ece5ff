package dev.shelf.engine.model;

/**
 * {@code qwen3}: the dense Qwen3 models (llama.cpp's {@code llm_build_qwen3}). llama's graph
 * without biases, with an RMSNorm of each query and key head before NeoX RoPE; the head width
 * ({@code qwen3.attention.key_length}, 128) is not {@code embedding_length / head_count}.
 */
public final class Qwen3Architecture implements Architecture {
  @Override
  public String name() {
    return "qwen3";
  }

  @Override
  public Rope rope() {
    return Rope.NEOX;
  }

  @Override
  public boolean qkNorm() {
    return true;
  }

  @Override
  public String toString() {
    return name();
  }
}
