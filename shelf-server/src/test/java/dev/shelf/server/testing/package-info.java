/** Real Shelf nodes as separate JVM processes, for multi-node and crash tests. */
@NullMarked
package dev.shelf.server.testing;

import org.jspecify.annotations.NullMarked;
