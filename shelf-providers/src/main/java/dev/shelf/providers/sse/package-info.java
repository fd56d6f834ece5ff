/** A Server-Sent Events reader, tolerant of everything real upstreams do. */
@NullMarked
package dev.shelf.providers.sse;

import org.jspecify.annotations.NullMarked;
