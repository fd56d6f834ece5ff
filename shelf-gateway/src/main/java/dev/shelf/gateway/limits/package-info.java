/**
 * Rate, token, concurrency and budget limits over shared {@link dev.shelf.gateway.limits.Counters}
 * (in-process, or Redis for many nodes).
 */
@NullMarked
package dev.shelf.gateway.limits;

import org.jspecify.annotations.NullMarked;
