@NullMarked
package dev.shelf.guard.label;

import org.jspecify.annotations.NullMarked;
