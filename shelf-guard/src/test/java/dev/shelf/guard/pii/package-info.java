@NullMarked
package dev.shelf.guard.pii;

import org.jspecify.annotations.NullMarked;
