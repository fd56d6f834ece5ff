@NullMarked
package dev.shelf.eval.speed;

import org.jspecify.annotations.NullMarked;
