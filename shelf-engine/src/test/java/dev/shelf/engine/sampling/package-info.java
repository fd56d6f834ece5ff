@NullMarked
package dev.shelf.engine.sampling;

import org.jspecify.annotations.NullMarked;
