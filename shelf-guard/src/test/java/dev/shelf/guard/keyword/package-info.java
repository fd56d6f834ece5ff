@NullMarked
package dev.shelf.guard.keyword;

import org.jspecify.annotations.NullMarked;
