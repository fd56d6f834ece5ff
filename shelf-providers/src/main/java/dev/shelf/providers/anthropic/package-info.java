/**
 * The {@code anthropic} adapter: Anthropic's Messages API ({@code POST /v1/messages}), always
 * streamed. Requests are translated from the canonical chat form by {@link
 * dev.shelf.providers.anthropic.internal.MessagesRequest}, stream events back into chat chunks by
 * {@link dev.shelf.providers.anthropic.internal.StreamTranslator}; what cannot be translated is
 * listed in {@code docs/anthropic.md}.
 */
@NullMarked
package dev.shelf.providers.anthropic;

import org.jspecify.annotations.NullMarked;
