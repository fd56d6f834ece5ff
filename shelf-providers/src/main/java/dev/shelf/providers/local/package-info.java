/**
 * The {@code local} adapter: GGUF models run in-process by the embedded engine ({@code
 * dev.shelf.engine}), one sequence per request.
 */
@NullMarked
package dev.shelf.providers.local;

import org.jspecify.annotations.NullMarked;
