/** Tests of the bundled ONNX embedding models against LangChain4j's own implementation. */
@NullMarked
package dev.shelf.providers.onnx;

import org.jspecify.annotations.NullMarked;
