/**
 * The gemini adapter's wire translation and error mapping; the HTTP plumbing is the shared {@link
 * dev.shelf.providers.http.UpstreamHttp}.
 */
@NullMarked
package dev.shelf.providers.gemini.internal;

import org.jspecify.annotations.NullMarked;
