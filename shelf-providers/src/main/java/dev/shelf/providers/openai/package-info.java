/**
 * The {@code openai} adapter: any OpenAI-compatible Chat Completions endpoint, with vendor
 * differences kept as data in {@code presets.yaml} (base URL, auth style, parameters it rejects,
 * quirks), applied by {@link dev.shelf.providers.openai.Preset}.
 */
@NullMarked
package dev.shelf.providers.openai;

import org.jspecify.annotations.NullMarked;
