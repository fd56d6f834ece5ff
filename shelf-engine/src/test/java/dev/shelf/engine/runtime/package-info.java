@NullMarked
package dev.shelf.engine.runtime;

import org.jspecify.annotations.NullMarked;
