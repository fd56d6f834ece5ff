package dev.shelf.engine.model;

/**
 * {@code llama}: Llama 2 and 3, Mistral, TinyLlama, SmolLM, llama2.c exports. The base of the
 * family: normal (consecutive pairs) RoPE, no biases, no q/k norms, the output tied when absent.
 */
public final class LlamaArchitecture implements Architecture {
  @Override
  public String name() {
    return "llama";
  }

  @Override
  public Rope rope() {
    return Rope.NORMAL;
  }

  @Override
  public String toString() {
    return name();
  }
}
