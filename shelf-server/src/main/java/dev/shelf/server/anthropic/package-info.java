/**
 * The Anthropic-compatible edge: {@code POST /v1/messages} and {@code /v1/messages/count_tokens} in
 * front of any shelf model. Messages requests are translated to the canonical chat request, served
 * by the same gateway (keys, limits, routing, metering), and the canonical answer is translated
 * back into Messages JSON or Messages stream events.
 */
@NullMarked
package dev.shelf.server.anthropic;

import org.jspecify.annotations.NullMarked;
