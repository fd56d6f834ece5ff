/**
 * The {@code gemini} adapter: Google's Gemini API ({@code models/{model}:streamGenerateContent} and
 * {@code models/{model}:batchEmbedContents}), chat always streamed. Requests are translated from
 * the canonical chat form by {@link dev.shelf.providers.gemini.internal.GenerateContentRequest},
 * stream events back into chat chunks by {@link
 * dev.shelf.providers.gemini.internal.StreamTranslator}; what cannot be translated is listed in
 * {@code docs/gemini.md}.
 */
@NullMarked
package dev.shelf.providers.gemini;

import org.jspecify.annotations.NullMarked;
