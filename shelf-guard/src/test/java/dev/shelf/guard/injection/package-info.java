@NullMarked
package dev.shelf.guard.injection;

import org.jspecify.annotations.NullMarked;
