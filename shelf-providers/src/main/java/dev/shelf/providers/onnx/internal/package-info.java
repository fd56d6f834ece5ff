/** The ONNX Runtime session and tokenizer behind one bundled embedding model. */
@NullMarked
package dev.shelf.providers.onnx.internal;

import org.jspecify.annotations.NullMarked;
