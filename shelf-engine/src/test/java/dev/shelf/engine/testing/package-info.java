/** Test helpers shared by the engine's test packages: fixture paths and a tiny JSON reader. */
@NullMarked
package dev.shelf.engine.testing;

import org.jspecify.annotations.NullMarked;
