@NullMarked
package dev.shelf.guard.text;

import org.jspecify.annotations.NullMarked;
