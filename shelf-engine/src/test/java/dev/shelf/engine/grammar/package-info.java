@NullMarked
package dev.shelf.engine.grammar;

import org.jspecify.annotations.NullMarked;
