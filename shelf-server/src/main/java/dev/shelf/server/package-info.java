/**
 * HTTP: the OpenAI-compatible API under {@code /v1}, health, metrics and the access log, on Helidon
 * SE's virtual-thread web server. Protocol edges only; the request path is the gateway's.
 */
@NullMarked
package dev.shelf.server;

import org.jspecify.annotations.NullMarked;
