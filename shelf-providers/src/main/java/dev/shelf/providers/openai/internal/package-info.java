/**
 * The openai adapter's error mapping; the HTTP plumbing is the shared {@link
 * dev.shelf.providers.http.UpstreamHttp}.
 */
@NullMarked
package dev.shelf.providers.openai.internal;

import org.jspecify.annotations.NullMarked;
