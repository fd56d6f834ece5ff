@NullMarked
package dev.shelf.cli.eval;

import org.jspecify.annotations.NullMarked;
