/**
 * The {@code onnx} adapter: embedding models bundled in the jar (the ONNX graphs and tokenizers
 * LangChain4j publishes on Maven Central), run in-process with ONNX Runtime, with no network and no
 * files to fetch. See {@link dev.shelf.providers.onnx.BundledModel} for the models.
 */
@NullMarked
package dev.shelf.providers.onnx;

import org.jspecify.annotations.NullMarked;
