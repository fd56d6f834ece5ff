package dev.shelf.engine.model;

/**
 * {@code qwen2}: Qwen2 and Qwen2.5 (llama.cpp's {@code llm_build_qwen2}). llama's graph with biases
 * on the query, key and value projections, and NeoX RoPE (halves, not consecutive pairs). The small
 * ones tie the output to the embeddings.
 */
public final class Qwen2Architecture implements Architecture {
  @Override
  public String name() {
    return "qwen2";
  }

  @Override
  public Rope rope() {
    return Rope.NEOX;
  }

  @Override
  public boolean attentionBias() {
    return true;
  }

  @Override
  public String toString() {
    return name();
  }
}
