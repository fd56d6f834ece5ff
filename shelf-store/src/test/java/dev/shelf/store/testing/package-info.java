/** Real databases and Redis for tests: a fresh PostgreSQL database per use, a Redis key prefix. */
@NullMarked
package dev.shelf.store.testing;

import org.jspecify.annotations.NullMarked;
