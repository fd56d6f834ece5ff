/** Routes, deployments, strategies, retries, fallbacks and circuit breakers. */
@NullMarked
package dev.shelf.gateway.routing;

import org.jspecify.annotations.NullMarked;
